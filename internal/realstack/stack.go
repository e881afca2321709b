//go:build e2e

// Package realstack runs the tiers' rendered boot on real servers, offline,
// as it is delivered: the user data (the loader) runs as cloud-init runs it,
// fetches the boot script (the CDK asset, published to the bootstrap bucket)
// from S3, runs it and signals CloudFormation and Auto Scaling; a later
// start runs the loader's cloud-init per-boot hook. Servers are made from
// one golden root (a base of Debian packages and an application layer baked
// the way the articles' golden servers were), each a copy-on-write overlay
// in its own network, mount and UTS namespaces, behind haproxy playing the
// ALB, with a real TLS-only MariaDB and PostgreSQL, Redis with TLS and
// AUTH, and fake AWS endpoints (IMDSv2, Secrets Manager, the RDS
// truststore, S3, CloudFormation, Auto Scaling) that check what AWS would
// check.
//
// Everything runs inside a network namespace of the test's own (see
// scripts/e2e): NewStack refuses to start on a network with any interface
// but loopback. Every process it starts it stops by PID; the servers'
// namespaces end with their processes.
package realstack

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/tierkit/tierkit/internal/fakeaws"
)

// Addresses and names of the test's network. The VPC's CIDR is the network
// block's default, which the tiers write as the trusted proxies.
const (
	VPCCIDR   = "10.0.0.0/16"
	HubIP     = "10.0.0.1" // services, and the load balancer's side facing the servers
	GoldenIP  = "10.0.1.10"
	ClientIP  = "198.51.100.7" // the internet
	LBIP      = "203.0.113.10" // the load balancer's public address
	IMDSIP    = "169.254.169.254"
	DBHost    = "db.tierkit.test"
	CacheHost = "cache.tierkit.test"
	Bucket    = "tierkit-uploads"
	// ReleaseBucket is the tier's release bucket (Releases).
	ReleaseBucket = "tierkit-releases"
	// RedisToken is the cache's AUTH token. The Laravel tier reads it at boot
	// from RedisAuthSecret (JSON key "token"), which the fake Secrets Manager
	// serves; the golden .env carries a stale REDIS_PASSWORD instead.
	RedisToken = "e2e-redis-auth-0123456789"
	MySQLPort  = 3307 // the database block's default ports
	PGPort     = 5433
	RedisPort  = 6380 // the cache block's default
	DBName     = "app"
	DBUser     = "tierkit"
)

// RedisAuthSecret is the ARN of the Laravel tier's Redis AUTH secret.
const RedisAuthSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:e2e/redis-auth-AbCdEf"

// awsNames are the AWS endpoints the servers reach, answered by the fakes
// on HubIP (the servers' /etc/hosts maps them, as the VPC's DNS would):
// Secrets Manager, SSM Parameter Store, the RDS truststore, S3 (the uploads bucket and the
// bootstrap bucket the boot script is fetched from, virtual-hosted), and
// CloudFormation and Auto Scaling, which the loader signals (their global
// region's endpoints, as the loader names them).
var awsNames = []string{
	"secretsmanager." + fakeaws.Region + ".amazonaws.com",
	"ssm." + fakeaws.Region + ".amazonaws.com",
	"truststore.pki.rds.amazonaws.com",
	"s3." + fakeaws.Region + ".amazonaws.com",
	Bucket + ".s3." + fakeaws.Region + ".amazonaws.com",
	BootstrapBucket + ".s3." + fakeaws.Region + ".amazonaws.com",
	ReleaseBucket + ".s3." + fakeaws.Region + ".amazonaws.com",
	"cloudformation." + fakeaws.Region + ".amazonaws.com",
	"autoscaling." + fakeaws.Region + ".amazonaws.com",
}

// ServerIP is the address of server n (1, 2, ...).
func ServerIP(n int) string { return fmt.Sprintf("10.0.1.%d", 10+n) }

// Stack is the shared part of the test's world: the network, the database
// servers, the cache, the fake AWS endpoints.
type Stack struct {
	Dir     string
	CA      *CA // AWS's public CAs and the RDS CA, in one
	WrongCA *CA
	// Secrets is Secrets Manager; set its Secrets before a boot.
	Secrets *fakeaws.SecretsManager
	S3      *s3mem.Backend
	// DBPassword is the database user's password (in the DB secret).
	DBPassword string

	daemons           []*Daemon
	servers           []*http.Server
	mu                sync.Mutex
	machines          map[string]fakeaws.Instance
	s3log             []S3Request
	mysqlSock, pgSock string
	launched          int
}

// S3Request is one request the fake S3 received.
type S3Request struct {
	Method, Host, Path, From, SignatureError string
}

// NewStack starts the stack in dir; it is stopped when t ends.
func NewStack(t *testing.T, dir string) *Stack {
	t.Helper()
	s := &Stack{Dir: dir, machines: map[string]fakeaws.Instance{}, DBPassword: "e2e-db-Pass-9f3k2m1x7q"}
	t.Cleanup(s.stop)
	start := time.Now()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"network", s.network}, {"certificates", s.pki}, {"aws", s.aws},
		{"mariadb", s.mariadb}, {"postgresql", s.postgres}, {"redis", s.redis},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			t.Fatalf("starting the stack: %s: %v", st.name, err)
		}
	}
	t.Logf("stack up in %.1f s", time.Since(start).Seconds())
	return s
}

func (s *Stack) stop() {
	for _, srv := range s.servers {
		srv.Close()
	}
	for i := len(s.daemons) - 1; i >= 0; i-- {
		s.daemons[i].Stop()
	}
}

func (s *Stack) daemon(name string, uid, gid int, args ...string) (*Daemon, error) {
	d, err := startDaemon(s.Dir, name, uid, gid, args...)
	if err == nil {
		s.daemons = append(s.daemons, d)
	}
	return d, err
}

// network builds the hub: a bridge the servers' veths join, holding the
// services' address and IMDS's link-local one; the client and the load
// balancer's public address on loopback.
func (s *Stack) network() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return err
	}
	for _, i := range ifaces {
		if i.Name != "lo" {
			return fmt.Errorf("interface %s exists: this test runs only in a network namespace of its own (scripts/e2e), never on the host's network", i.Name)
		}
	}
	ctx := context.Background()
	for _, c := range [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "tk0", "type", "bridge"},
		{"ip", "link", "set", "tk0", "up"},
		{"ip", "addr", "add", HubIP + "/16", "dev", "tk0"},
		{"ip", "addr", "add", IMDSIP + "/32", "dev", "tk0"},
		{"ip", "addr", "add", ClientIP + "/32", "dev", "lo"},
		{"ip", "addr", "add", LBIP + "/32", "dev", "lo"},
	} {
		if _, err := runCmd(ctx, "", c...); err != nil {
			return err
		}
	}
	return nil
}

func (s *Stack) pki() error {
	var err error
	if s.CA, err = NewCA("tierkit e2e AWS and RDS CA"); err != nil {
		return err
	}
	s.WrongCA, err = NewCA("tierkit e2e wrong CA")
	return err
}

// aws serves IMDS on IMDSIP:80, answering each server its own instance by
// its source address, and the HTTPS endpoints on HubIP:443 by host name:
// Secrets Manager, the RDS truststore, CloudFormation and Auto Scaling (the
// fake records the boot's signals), and S3 (virtual-hosted and path style),
// each checking the role's SigV4 signature.
func (s *Stack) aws() error {
	s.Secrets = &fakeaws.SecretsManager{Name: "TierSecret", Bundle: s.CA.PEM, DenyFrom: map[string]bool{}}
	s.S3 = s3mem.New()
	if err := s.S3.CreateBucket(Bucket); err != nil {
		return err
	}
	s3 := gofakes3.New(s.S3, gofakes3.WithHostBucketBase("s3."+fakeaws.Region+".amazonaws.com")).Server()
	imds := fakeaws.IMDSHandler(func(r *http.Request) (fakeaws.Instance, bool) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		s.mu.Lock()
		defer s.mu.Unlock()
		i, ok := s.machines[host]
		return i, ok
	})
	endpoints := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		switch {
		case strings.HasPrefix(host, "secretsmanager."), strings.HasPrefix(host, "ssm."), host == "truststore.pki.rds.amazonaws.com",
			strings.HasPrefix(host, "cloudformation."), strings.HasPrefix(host, "autoscaling."):
			s.Secrets.ServeHTTP(w, r)
		case strings.HasSuffix(host, ".amazonaws.com") && strings.Contains(host, "s3."):
			s.serveS3(s3, w, r)
		default:
			http.Error(w, "no such endpoint: "+host, http.StatusNotFound)
		}
	})
	leaf, err := s.CA.Issue(append([]string{HubIP, DBHost, CacheHost, "*.s3." + fakeaws.Region + ".amazonaws.com"}, awsNames...)...)
	if err != nil {
		return err
	}
	cert, err := leaf.TLS()
	if err != nil {
		return err
	}
	if err := leaf.Write(s.Dir, "hub", 0, 0); err != nil {
		return err
	}
	for _, l := range []struct {
		addr string
		h    http.Handler
		tls  bool
	}{{IMDSIP + ":80", imds, false}, {HubIP + ":443", endpoints, true}} {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return err
		}
		if l.tls {
			ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
		}
		srv := &http.Server{Handler: l.h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go srv.Serve(ln)
	}
	return nil
}

// serveS3 checks the request's signature before gofakes3 answers it: S3
// refuses anything not signed with the role's credentials.
func (s *Stack) serveS3(h http.Handler, w http.ResponseWriter, r *http.Request) {
	body, err := readAll(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := S3Request{Method: r.Method, Host: r.Host, Path: r.URL.Path, From: from, SignatureError: fakeaws.VerifySigV4(r, body, "s3")}
	s.mu.Lock()
	s.s3log = append(s.s3log, req)
	s.mu.Unlock()
	if req.SignatureError != "" {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>", req.SignatureError)
		return
	}
	h.ServeHTTP(w, r)
}

// Publish stores body as the object key of bucket, creating the bucket if
// needed, as `cdk deploy` publishes a file asset to the bootstrap bucket.
func (s *Stack) Publish(bucket, key string, body []byte) error {
	ok, err := s.S3.BucketExists(bucket)
	if err != nil {
		return err
	}
	if !ok {
		if err := s.S3.CreateBucket(bucket); err != nil {
			return err
		}
	}
	_, err = s.S3.PutObject(bucket, key, map[string]string{"Content-Type": "text/x-sh"}, bytes.NewReader(body), int64(len(body)), nil)
	return err
}

// S3Requests returns the requests S3 received so far.
func (s *Stack) S3Requests() []S3Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]S3Request(nil), s.s3log...)
}

// Machine registers the instance IMDS answers the address ip.
func (s *Stack) Machine(i fakeaws.Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.machines[i.IP] = i
}

// SetLifecycleState sets the target lifecycle state IMDS answers the
// instance at ip (autoscaling/target-lifecycle-state), as Auto Scaling
// moves it: "Terminated" when the group terminates it.
func (s *Stack) SetLifecycleState(ip, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.machines[ip]
	i.LifecycleState = state
	s.machines[ip] = i
}

// Forget removes the instance at ip (it was terminated).
func (s *Stack) Forget(ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.machines, ip)
}

func (s *Stack) mariadb() error {
	uid, gid, err := lookupID("mysql")
	if err != nil {
		return err
	}
	dir, err := s.serviceDir("mariadb", DBHost, uid, gid, "data", "run")
	if err != nil {
		return err
	}
	data, run := filepath.Join(dir, "data"), filepath.Join(dir, "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := runCmd(ctx, "", "mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--auth-root-authentication-method=socket", "--skip-test-db"); err != nil {
		return err
	}
	caFile := filepath.Join(dir, "ca.pem")
	s.mysqlSock = filepath.Join(run, "mysqld.sock")
	d, err := s.daemon("mariadb", 0, 0, "mariadbd", "--no-defaults", "--user=mysql", "--datadir="+data,
		"--socket="+s.mysqlSock, "--pid-file="+filepath.Join(run, "mysqld.pid"),
		"--bind-address="+HubIP, fmt.Sprintf("--port=%d", MySQLPort), "--skip-name-resolve", "--skip-log-bin",
		"--innodb-buffer-pool-size=32M", "--require-secure-transport=ON",
		"--ssl-ca="+caFile, "--ssl-cert="+filepath.Join(dir, "server.crt"), "--ssl-key="+filepath.Join(dir, "server.key"))
	if err != nil {
		return err
	}
	return waitTCP(d, fmt.Sprintf("%s:%d", HubIP, MySQLPort), 60*time.Second)
}

func (s *Stack) postgres() error {
	uid, gid, err := lookupID("postgres")
	if err != nil {
		return err
	}
	bin, err := pgBin()
	if err != nil {
		return err
	}
	dir, err := s.serviceDir("postgres", DBHost, uid, gid, "run")
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	s.pgSock = filepath.Join(dir, "run")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := runAs(ctx, uid, gid, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
		return err
	}
	conf := fmt.Sprintf("listen_addresses = '%s'\nport = %d\nunix_socket_directories = '%s'\nssl = on\nssl_cert_file = '%s'\nssl_key_file = '%s'\nfsync = off\nmax_connections = 200\n",
		HubIP, PGPort, s.pgSock, filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key"))
	// TLS only: no "host" line, so a plaintext connection finds no rule.
	hba := "local all all trust\nhostssl all all " + VPCCIDR + " scram-sha-256\n"
	if err := appendFile(filepath.Join(data, "postgresql.conf"), conf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return err
	}
	os.Chown(filepath.Join(data, "pg_hba.conf"), uid, gid)
	d, err := s.daemon("postgres", uid, gid, filepath.Join(bin, "postgres"), "-D", data)
	if err != nil {
		return err
	}
	return waitTCP(d, fmt.Sprintf("%s:%d", HubIP, PGPort), 60*time.Second)
}

func (s *Stack) redis() error {
	dir, err := s.serviceDir("redis", CacheHost, 0, 0)
	if err != nil {
		return err
	}
	caFile := filepath.Join(dir, "ca.pem")
	d, err := s.daemon("redis", 0, 0, "redis-server", "--port", "0", "--tls-port", fmt.Sprint(RedisPort), "--bind", HubIP,
		"--tls-cert-file", filepath.Join(dir, "server.crt"), "--tls-key-file", filepath.Join(dir, "server.key"),
		"--tls-ca-cert-file", caFile, "--tls-auth-clients", "no", "--requirepass", RedisToken,
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no")
	if err != nil {
		return err
	}
	return waitTCP(d, fmt.Sprintf("%s:%d", HubIP, RedisPort), 30*time.Second)
}

// serviceDir makes the directory of a service run by uid, gid (and its
// subdirectories), with the service's certificate for host and the hub's
// address (server.crt, server.key) and the CA (ca.pem).
func (s *Stack) serviceDir(name, host string, uid, gid int, subdirs ...string) (string, error) {
	dir := filepath.Join(s.Dir, name)
	for _, d := range append([]string{""}, subdirs...) {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o750); err != nil {
			return "", err
		}
		if err := os.Chown(filepath.Join(dir, d), uid, gid); err != nil {
			return "", err
		}
	}
	leaf, err := s.CA.Issue(host, HubIP)
	if err != nil {
		return "", err
	}
	if err := leaf.Write(dir, "server", uid, gid); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, "ca.pem"), []byte(s.CA.PEM), 0o644)
}

// Reset recreates the application's database on engine ("mysql" or
// "pgsql") with schema, owned by DBUser, who must use TLS.
func (s *Stack) Reset(engine, schema string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if engine == "mysql" {
		sql := fmt.Sprintf("DROP DATABASE IF EXISTS %[1]s; CREATE DATABASE %[1]s; DROP USER IF EXISTS '%[2]s'@'%%';"+
			" CREATE USER '%[2]s'@'%%' IDENTIFIED BY '%[3]s' REQUIRE SSL; GRANT ALL ON %[1]s.* TO '%[2]s'@'%%';", DBName, DBUser, s.DBPassword)
		if _, err := runCmd(ctx, sql, "mariadb", "--no-defaults", "-S", s.mysqlSock, "-u", "root"); err != nil {
			return err
		}
		_, err := runCmd(ctx, schema, "mariadb", "--no-defaults", "-S", s.mysqlSock, "-u", "root", DBName)
		return err
	}
	psql := func(db, sql string) error {
		_, err := runCmd(ctx, sql, "psql", "-v", "ON_ERROR_STOP=1", "-q", "-h", s.pgSock, "-p", fmt.Sprint(PGPort), "-U", "postgres", "-d", db)
		return err
	}
	if err := psql("postgres", fmt.Sprintf("DROP DATABASE IF EXISTS %[1]s WITH (FORCE); DROP ROLE IF EXISTS %[2]s;"+
		" CREATE ROLE %[2]s LOGIN PASSWORD '%[3]s'; CREATE DATABASE %[1]s OWNER %[2]s;", DBName, DBUser, s.DBPassword)); err != nil {
		return err
	}
	return psql(DBName, "SET ROLE "+DBUser+";\n"+schema)
}

// Query runs sql on the application's database as the administrator and
// returns the rows, tab-separated.
func (s *Stack) Query(engine, sql string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if engine == "mysql" {
		return runCmd(ctx, sql, "mariadb", "--no-defaults", "-S", s.mysqlSock, "-u", "root", "-N", "-B", DBName)
	}
	return runCmd(ctx, sql, "psql", "-h", s.pgSock, "-p", fmt.Sprint(PGPort), "-U", "postgres", "-d", DBName, "-A", "-t", "-F", "\t")
}

func pgBin() (string, error) {
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(m) == 0 {
		return "", errors.New("no PostgreSQL server (/usr/lib/postgresql/*/bin/postgres): scripts/e2e installs it")
	}
	return filepath.Dir(m[len(m)-1]), nil
}

func appendFile(name, text string) error {
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(text)
	return err
}

// SetDBPassword changes the password of the application's database user
// on engine ("mysql" or "pgsql"), as a rotation does.
func (s *Stack) SetDBPassword(engine, password string) error {
	if strings.ContainsAny(password, `'\`) {
		return fmt.Errorf("the password %q holds a quote or backslash", password)
	}
	sql := fmt.Sprintf("ALTER USER '%s'@'%%' IDENTIFIED BY '%s';", DBUser, password)
	if engine != "mysql" {
		sql = fmt.Sprintf("ALTER ROLE %s PASSWORD '%s';", DBUser, password)
	}
	out, err := s.Query(engine, sql)
	if err == nil && strings.Contains(out, "ERROR") {
		err = fmt.Errorf("%s: %s", sql, out)
	}
	return err
}
