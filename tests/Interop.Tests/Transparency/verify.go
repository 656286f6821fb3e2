// An independent verifier for the issuance log's tree and checkpoints (issue 31): Go's own
// golang.org/x/mod/sumdb/tlog and sumdb/note (Debian's golang-golang-x-mod-dev), built by the
// tests in GOPATH mode. Reads lines on stdin:
//
//	note VERIFIER-KEY BASE64(NOTE)
//	inclusion INDEX BASE64(LEAF) SIZE BASE64(ROOT) BASE64(HASH),...
//	consistency M BASE64(ROOT-M) N BASE64(ROOT-N) BASE64(HASH),...
//
// and prints "ok" per line, or "fail: why" and exits 1.
package main

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func hash(s string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		fail("bad hash " + s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func proof(s string) []tlog.Hash {
	var p []tlog.Hash
	if s == "-" {
		return p
	}
	for _, part := range strings.Split(s, ",") {
		p = append(p, hash(part))
	}
	return p
}

func number(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fail("bad number " + s)
	}
	return n
}

func fail(why string) {
	fmt.Println("fail: " + why)
	os.Exit(1)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 3 && f[0] == "note":
			v, err := note.NewVerifier(f[1])
			if err != nil {
				fail("verifier: " + err.Error())
			}
			msg, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				fail("note base64")
			}
			n, err := note.Open(msg, note.VerifierList(v))
			if err != nil {
				fail("note: " + err.Error())
			}
			fmt.Printf("ok %d signatures\n", len(n.Sigs))
		case len(f) == 6 && f[0] == "inclusion":
			leaf, err := base64.StdEncoding.DecodeString(f[2])
			if err != nil {
				fail("leaf base64")
			}
			if err := tlog.CheckRecord(proof(f[5]), number(f[3]), hash(f[4]), number(f[1]), tlog.RecordHash(leaf)); err != nil {
				fail("inclusion: " + err.Error())
			}
			fmt.Println("ok")
		case len(f) == 6 && f[0] == "consistency":
			if err := tlog.CheckTree(proof(f[5]), number(f[3]), hash(f[4]), number(f[1]), hash(f[2])); err != nil {
				fail("consistency: " + err.Error())
			}
			fmt.Println("ok")
		default:
			fail("unknown line " + in.Text())
		}
	}
}
