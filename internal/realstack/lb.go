//go:build e2e

package realstack

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LB is haproxy playing the tier's Application Load Balancer: HTTP on 80
// answered by a 301 to HTTPS, TLS on 443 with a certificate of the test CA
// for the tier's name, X-Forwarded-For/-Proto/-Port, round robin over the
// servers, active health checks on the tier's health check path (every
// second, 2 failures out, 2 successes in: the ALB's thresholds, ten times
// faster), draining through the runtime API.
type LB struct {
	Domain string
	d      *Daemon
	sock   string
	names  map[string]string // server name -> backend server name
}

// NewLB starts the balancer for domain over the servers named names, the
// i-th at ip(i), checked at healthPath.
func (s *Stack) NewLB(domain, healthPath string, names []string, ip func(i int) string) (*LB, error) {
	dir := filepath.Join(s.Dir, "lb-"+domain)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	leaf, err := s.CA.Issue(domain)
	if err != nil {
		return nil, err
	}
	if err := leaf.Write(dir, "lb", 0, 0); err != nil {
		return nil, err
	}
	lb := &LB{Domain: domain, sock: filepath.Join(dir, "admin.sock"), names: map[string]string{}}
	var b strings.Builder
	fmt.Fprintf(&b, `global
  stats socket %[1]s mode 600 level admin
  maxconn 2000
defaults
  mode http
  timeout connect 2s
  timeout client 90s
  timeout server 90s
  timeout http-request 10s
  # A connection a dead server refuses is re-sent to another one (the
  # ALB does not re-send: see the README).
  retries 2
  option redispatch
frontend http
  bind %[2]s:80
  http-request redirect scheme https code 301
frontend https
  bind %[2]s:443 ssl crt %[3]s
  option forwardfor
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Port 443
  default_backend servers
backend servers
  balance roundrobin
  option httpchk GET %[4]s
  http-check expect status 200
  default-server inter 1s fall 2 rise 2 check
`, lb.sock, LBIP, filepath.Join(dir, "lb.pem"), healthPath)
	for i, name := range names {
		lb.names[name] = fmt.Sprintf("s%d", i+1)
		fmt.Fprintf(&b, "  server %s %s:80\n", lb.names[name], ip(i))
	}
	cfg := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	lb.d, err = s.daemon("haproxy-"+domain, 0, 0, "haproxy", "-f", cfg, "-db")
	if err != nil {
		return nil, err
	}
	if err := waitTCP(lb.d, LBIP+":443", 20*time.Second); err != nil {
		return nil, err
	}
	return lb, nil
}

// Stop stops haproxy.
func (lb *LB) Stop() { lb.d.Stop() }

func (lb *LB) admin(cmd string) (string, error) {
	c, err := net.DialTimeout("unix", lb.sock, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(bufio.NewReader(c))
	return string(b), err
}

// stat returns a column of haproxy's statistics for a server (status,
// scur, ...), or what went wrong.
func (lb *LB) stat(server, column string) string {
	out, err := lb.admin("show stat")
	if err != nil {
		return "error: " + err.Error()
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "# ")))
	r.FieldsPerRecord = -1
	rows, _ := r.ReadAll()
	if len(rows) == 0 {
		return "no stats"
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, row := range rows[1:] {
		if len(row) > col[column] && row[col["pxname"]] == "servers" && row[col["svname"]] == lb.names[server] {
			return row[col[column]]
		}
	}
	return "unknown"
}

// Status returns haproxy's view of a server: UP, DOWN, DRAIN, MAINT, or a
// transition such as "UP 1/2".
func (lb *LB) Status(server string) string { return lb.stat(server, "status") }

// WaitStatus waits until the server's status is want and returns how long
// it took.
func (lb *LB) WaitStatus(server, want string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for time.Since(start) < timeout {
		if lb.Status(server) == want {
			return time.Since(start), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start), fmt.Errorf("%s is %s after %s, want %s", server, lb.Status(server), timeout, want)
}

// SetState sets a server's administrative state: ready, drain or maint.
func (lb *LB) SetState(srv *Server, state string) error {
	out, err := lb.admin(fmt.Sprintf("set server servers/%s state %s", lb.names[srv.Name], state))
	if err == nil && strings.TrimSpace(out) != "" {
		err = fmt.Errorf("haproxy: %s", strings.TrimSpace(out))
	}
	return err
}

// Sessions returns the requests the server is serving now.
func (lb *LB) Sessions(srv *Server) string { return lb.stat(srv.Name, "scur") }

// Client is a browser on the internet: its own address, the test CA
// trusted, the balancer's name resolved to its public address, cookies
// kept, redirects not followed.
func (s *Stack) Client(lb *LB) *http.Client {
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ClientIP)}, Timeout: 5 * time.Second}
	return &http.Client{
		Jar:     jar,
		Timeout: 90 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: s.CA.Pool(), ServerName: lb.Domain},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				_, port, _ := net.SplitHostPort(addr)
				return dialer.DialContext(ctx, network, net.JoinHostPort(LBIP, port))
			},
			DisableKeepAlives: true,
		},
	}
}
