package auth

import "testing"

// TestCheckAllocs: Check runs on every authenticated request. It compares the checksum
// without building a string; the one allocation left is the []byte the CRC-32 needs.
func TestCheckAllocs(t *testing.T) {
	tok, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = Check(tok) }); n > 1 {
		t.Errorf("Check allocates %v times per call, want at most 1", n)
	}
}
