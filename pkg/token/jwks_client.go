package token

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// jwksClient returns the client for one jwks_url: base (or a default) with,
// if caFile is set, a cloned transport trusting only that bundle, and a
// redirect policy that never downgrades to http unless allowed.
func jwksClient(base *http.Client, caFile string, allowHTTP bool) (*http.Client, error) {
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	if caFile != "" {
		t, err := transportWithRoots(c.Transport, caFile)
		if err != nil {
			return nil, err
		}
		c.Transport = t
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" && !allowHTTP {
			return fmt.Errorf("refusing redirect to %s URL", req.URL.Scheme)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		return nil
	}
	return c, nil
}

// transportWithRoots clones rt (or the default transport) so that it trusts
// only the certificates in caFile.
func transportWithRoots(rt http.RoundTripper, caFile string) (*http.Transport, error) {
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("no PEM certificates found")
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		if base, ok = http.DefaultTransport.(*http.Transport); !ok {
			base = &http.Transport{Proxy: http.ProxyFromEnvironment}
		}
	}
	t := base.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.RootCAs = pool
	t.TLSClientConfig.MinVersion = max(t.TLSClientConfig.MinVersion, tls.VersionTLS12)
	return t, nil
}
