package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHello(t *testing.T) {
	rec := httptest.NewRecorder()
	hello(rec, httptest.NewRequest(http.MethodGet, "/hello?name=gopher", nil))
	if !strings.Contains(rec.Body.String(), "hello, gopher") {
		t.Fatalf("unexpected body %q", rec.Body.String())
	}
}
