package headers

import (
	"os"
	"path/filepath"
	"testing"
)

func fixtureProfile(t testing.TB) *Profile {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "policy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, ok := compile(t, decode(t, string(src)), Production).Profile("web")
	if !ok {
		t.Fatal("no web profile")
	}
	return p
}

func TestHeadersDoNotAllocate(t *testing.T) {
	p := fixtureProfile(t)
	var n int
	allocs := testing.AllocsPerRun(100, func() {
		for _, https := range []bool{false, true} {
			n += len(p.AllowHeaders(https, false)) + len(p.AllowHeaders(https, true)) + len(p.DenyHeaders(https))
		}
	})
	if allocs != 0 {
		t.Fatalf("AllowHeaders/DenyHeaders allocate %v times per run", allocs)
	}
	if n == 0 {
		t.Fatal("no headers")
	}
}

var sink int

func BenchmarkAllowHeaders(b *testing.B) {
	p := fixtureProfile(b)
	b.ReportAllocs()
	for b.Loop() {
		sink += len(p.AllowHeaders(true, true))
	}
}

func BenchmarkDenyHeaders(b *testing.B) {
	p := fixtureProfile(b)
	b.ReportAllocs()
	for b.Loop() {
		sink += len(p.DenyHeaders(true))
	}
}
