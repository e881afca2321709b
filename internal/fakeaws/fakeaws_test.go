package fakeaws_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/tierkit/tierkit/internal/fakeaws"
)

// signedPUT sends body to url with curl's own SigV4 signing (what the
// boot script and the fixtures use) and returns what VerifySigV4 said.
func signedPUT(t *testing.T, url, secretKey, body string, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	var verdict string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		verdict = fakeaws.VerifySigV4(r, b, "s3")
	}))
	defer srv.Close()
	args := append([]string{"-sS", "-X", "PUT", "--aws-sigv4", "aws:amz:" + fakeaws.Region + ":s3",
		"-u", fakeaws.AccessKey + ":" + secretKey, "-H", "X-Amz-Security-Token: " + fakeaws.SessionToken,
		"--data-binary", body, srv.URL + url}, extra...)
	if out, err := exec.Command("curl", args...).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	return verdict
}

func TestAnS3RequestSignedWithTheRolesKeysVerifies(t *testing.T) {
	if got := signedPUT(t, "/tierkit-uploads/urn%3Aoid%3A7?partNumber=1&uploadId=a%2Fb", fakeaws.SecretKey, "data",
		"-H", "X-Amz-Content-Sha256: 3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7"); got != "" {
		t.Errorf("a request signed with the role's keys: %s", got)
	}
}

func TestAnS3RequestSignedWithOtherKeysIsRefused(t *testing.T) {
	if got := signedPUT(t, "/tierkit-uploads/key", "not-the-secret", "data"); !strings.Contains(got, "does not verify") {
		t.Errorf("a request signed with another secret key: %q; want a signature that does not verify", got)
	}
}

func TestAPayloadHashThatIsNotTheBodysIsRefused(t *testing.T) {
	got := signedPUT(t, "/tierkit-uploads/key", fakeaws.SecretKey, "data",
		"-H", "X-Amz-Content-Sha256: 0000000000000000000000000000000000000000000000000000000000000000")
	if !strings.Contains(got, "is not the body's hash") {
		t.Errorf("a signed hash of another body: %q; want it refused", got)
	}
}

func TestIMDSAnswersEachInstanceItsOwnValuesAndNoOtherHost(t *testing.T) {
	h := fakeaws.IMDSHandler(func(r *http.Request) (fakeaws.Instance, bool) {
		if r.Header.Get("X-Test-From") == "10.0.1.11" {
			return fakeaws.Instance{IP: "10.0.1.11", ID: "i-0aaa", Singleton: true, LifecycleState: "Terminated"}, true
		}
		if r.Header.Get("X-Test-From") == "10.0.1.12" {
			return fakeaws.Instance{IP: "10.0.1.12", ID: "i-0bbb"}, true
		}
		return fakeaws.Instance{}, false
	})
	get := func(from, path string) (int, string) {
		tok := httptest.NewRequest(http.MethodPut, "/latest/api/token", nil)
		tok.Header.Set("X-Test-From", from)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, tok)
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Test-From", from)
		req.Header.Set("X-aws-ec2-metadata-token", rec.Body.String())
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, ip := get("10.0.1.11", "/latest/meta-data/local-ipv4"); code != 200 || ip != "10.0.1.11" {
		t.Errorf("local-ipv4: %d %q; want 10.0.1.11", code, ip)
	}
	if code, tag := get("10.0.1.11", "/latest/meta-data/tags/instance/tierkit-singleton"); code != 200 || tag != "true" {
		t.Errorf("singleton tag: %d %q; want true", code, tag)
	}
	if code, state := get("10.0.1.11", "/latest/meta-data/autoscaling/target-lifecycle-state"); code != 200 || state != "Terminated" {
		t.Errorf("target lifecycle state: %d %q; want Terminated", code, state)
	}
	if code, _ := get("10.0.1.12", "/latest/meta-data/autoscaling/target-lifecycle-state"); code != http.StatusNotFound {
		t.Errorf("target lifecycle state of an instance outside a group: %d; want 404", code)
	}
	if code, _ := get("10.0.9.9", "/latest/meta-data/local-ipv4"); code != http.StatusForbidden {
		t.Errorf("an unknown host got %d; want 403", code)
	}
}
