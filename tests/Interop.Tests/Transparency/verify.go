// An independent verifier for the issuance log's tree and checkpoints (issue 31): Go's own
// golang.org/x/mod/sumdb/tlog and sumdb/note (Debian's golang-golang-x-mod-dev), built by the
// tests in GOPATH mode. Reads lines on stdin:
//
//	note VERIFIER-KEY BASE64(NOTE)
//	inclusion INDEX BASE64(LEAF) SIZE BASE64(ROOT) BASE64(HASH),...
//	consistency M BASE64(ROOT-M) N BASE64(ROOT-N) BASE64(HASH),...
//	tiles URL CA-FILE SIZE BASE64(ROOT)
//
// (tiles: reads the C2SP tlog-tiles under URL over HTTPS, trusting CA-FILE; the tree hash of SIZE
// leaves from them must be ROOT, every leaf's record proof from them must check, and the leaves
// of the entries bundle of tile 0 must hash to the level-0 hashes.)
// and prints "ok" per line, or "fail: why" and exits 1.
package main

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
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

// httpTiles reads tiles from a C2SP tlog-tiles URL (tile/L/N, Go's paths without the height).
type httpTiles struct {
	base   string
	client *http.Client
}

func (t *httpTiles) Height() int { return 8 }

func (t *httpTiles) get(path string) ([]byte, error) {
	resp, err := t.client.Get(t.base + "/" + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.ReadAll(resp.Body)
}

func (t *httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		data, err := t.get("tile/" + strings.TrimPrefix(tile.Path(), "tile/8/"))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t *httpTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func tiles(url, caFile string, size int64, root tlog.Hash) int {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fail("ca file: " + err.Error())
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail("ca file: no certificate")
	}
	reader := &httpTiles{base: url, client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	hashes := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, reader)
	got, err := tlog.TreeHash(size, hashes)
	if err != nil || got != root {
		fail(fmt.Sprintf("tiles: tree hash %v %v", got, err))
	}
	checked := 0
	for i := int64(0); i < size; i++ {
		leaf, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if err != nil {
			fail("tiles: leaf hash: " + err.Error())
		}
		p, err := tlog.ProveRecord(size, i, hashes)
		if err != nil {
			fail("tiles: prove: " + err.Error())
		}
		if err := tlog.CheckRecord(p, size, root, i, leaf[0]); err != nil {
			fail("tiles: check: " + err.Error())
		}
		checked++
	}
	// The entries bundle of tile 0: two-byte lengths, each leaf hashing to its level-0 hash.
	width := size
	path := "tile/entries/000"
	if width > 256 {
		width = 256
	} else if width < 256 {
		path += fmt.Sprintf(".p/%d", width)
	}
	bundle, err := reader.get(path)
	if err != nil {
		fail("entries: " + err.Error())
	}
	for i := int64(0); i < width; i++ {
		if len(bundle) < 2 {
			fail("entries: short bundle")
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle) < 2+n {
			fail("entries: short entry")
		}
		want, _ := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, i)})
		if tlog.RecordHash(bundle[2:2+n]) != want[0] {
			fail(fmt.Sprintf("entries: leaf %d does not hash to its tile hash", i))
		}
		bundle = bundle[2+n:]
	}
	if len(bundle) != 0 {
		fail("entries: trailing bytes")
	}
	return checked
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
		case len(f) == 5 && f[0] == "tiles":
			fmt.Printf("ok %d records proven from tiles\n", tiles(f[1], f[2], number(f[3]), hash(f[4])))
		default:
			fail("unknown line " + in.Text())
		}
	}
}
