package fakeaws

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// ssmGetParameter is the X-Amz-Target of SSM's GetParameter, which
// SecretsManager.ServeHTTP hands to serveSSM.
const ssmGetParameter = "AmazonSSM.GetParameter"

// serveSSM answers SSM Parameter Store's GetParameter from Parameters, by
// the Name asked for (a name, or an ARN ending in parameter<name>). As AWS
// does, it verifies the SigV4 signature for ssm, and a SecureString is
// answered only WithDecryption; Deny and DenyFrom refuse it too. Each
// request is recorded with the others (Request.Target, SecretID the Name).
func (f *SecretsManager) serveSSM(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var in struct {
		Name           string
		WithDecryption bool
	}
	_ = json.Unmarshal(body, &in)
	from, _, _ := net.SplitHostPort(r.RemoteAddr)
	req := Request{
		Target: r.Header.Get("X-Amz-Target"), ContentType: r.Header.Get("Content-Type"),
		SecurityToken: r.Header.Get("X-Amz-Security-Token"), SecretID: in.Name, From: from,
		SignatureError: VerifySigV4(r, body, "ssm"),
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	name := in.Name
	if _, after, ok := strings.Cut(name, ":parameter"); ok && strings.HasPrefix(name, "arn:") {
		name = after
	}
	value, found := f.Parameters[name]
	switch {
	case f.Deny || f.DenyFrom[from] || req.SignatureError != "" || !in.WithDecryption:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"__type":"AccessDeniedException","Message":"User: arn:aws:sts::123456789012:assumed-role/%s/%s is not authorized to perform: ssm:GetParameter"}`, RoleName, instanceID)
	case !found:
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"ParameterNotFound"}`)
	default:
		out, _ := json.Marshal(map[string]any{"Parameter": map[string]any{
			"Name": name, "Type": "SecureString", "Value": value, "Version": 1,
			"ARN": "arn:aws:ssm:" + Region + ":123456789012:parameter" + name, "DataType": "text",
		}})
		w.Write(out)
	}
}
