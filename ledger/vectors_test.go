package ledger

import (
	"bytes"
	"context"
	"encoding/hex"
	"testing"

	"github.com/wardhq/ward"
	"github.com/wardhq/ward/ledger/internal/memstore"
)

// The RFC 6962 test vectors published with github.com/transparency-dev/merkle
// v0.0.2: the eight leaf inputs, node hashes and roots of
// testonly/constants.go (LeafInputs, NodeHashes, RootHashes), and the
// inclusion and consistency proofs of proof/verify_test.go
// (inclusionProofs, with 1-based leaf numbers, and consistencyProofs).
// They originate in the Certificate Transparency reference code.
var (
	vectorLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

	vectorNodes = [][]string{{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
		"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
		"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
		"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
	}, {
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	}, {
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}, {
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}}

	vectorRoots = []string{ // by tree size, from 0
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}

	vectorInclusion = []struct {
		leaf, size uint64 // leaf is 1-based, as in the source
		proof      []string
	}{
		{1, 1, nil},
		{1, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{3, 3, []string{
			"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		}},
		{2, 5, []string{
			"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}

	vectorConsistency = []struct {
		size1, size2 uint64
		proof        []string
	}{
		{1, 1, nil},
		{1, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 5, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
		{6, 7, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// appendRaw appends leaves with arbitrary data (not events) the way the
// sequencer does, batch by batch.
func appendRaw(t *testing.T, store *memstore.Store, batches ...[][]byte) {
	t.Helper()
	ctx := context.Background()
	for _, batch := range batches {
		size, err := store.LedgerSize(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rng, err := loadRange(ctx, store, size)
		if err != nil {
			t.Fatal(err)
		}
		var leaves []ward.LedgerLeaf
		for i, data := range batch {
			leaves = append(leaves, ward.LedgerLeaf{Index: size + uint64(i), Data: data, Hash: LeafHash(data)})
		}
		_, nodes, err := extend(rng, leaves, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.AppendLedger(ctx, leaves, nodes); err != nil {
			t.Fatal(err)
		}
	}
}

// TestVectors runs the published RFC 6962 vectors through the ledger's
// tree building, node storage and proof code, with the leaves appended one
// at a time and in uneven batches.
func TestVectors(t *testing.T) {
	ctx := context.Background()
	var inputs [][]byte
	for _, s := range vectorLeaves {
		inputs = append(inputs, unhex(t, s))
	}
	for _, test := range []struct {
		name    string
		batches [][][]byte
	}{
		{"OneByOne", [][][]byte{inputs[0:1], inputs[1:2], inputs[2:3], inputs[3:4], inputs[4:5], inputs[5:6], inputs[6:7], inputs[7:8]}},
		{"Batches", [][][]byte{inputs[0:3], inputs[3:8]}},
		{"OneBatch", [][][]byte{inputs}},
	} {
		t.Run(test.name, func(t *testing.T) {
			store := memstore.New()
			appendRaw(t, store, test.batches...)

			// Leaf hashes and stored nodes.
			for i, l := range store.Leaves() {
				if want := unhex(t, vectorNodes[0][i]); !bytes.Equal(l.Hash, want) {
					t.Fatalf("leaf %d hash=%x, want %x", i, l.Hash, want)
				}
			}
			nodes := store.Nodes()
			if len(nodes) != 4+2+1 {
				t.Fatalf("%d nodes stored, want 7", len(nodes))
			}
			for _, n := range nodes {
				if want := unhex(t, vectorNodes[n.Level][n.Index]); !bytes.Equal(n.Hash, want) {
					t.Fatalf("node %d/%d=%x, want %x", n.Level, n.Index, n.Hash, want)
				}
			}

			// Roots at every size, from the stored right edge.
			for size := range uint64(9) {
				rng, err := loadRange(ctx, store, size)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := rootOf(rng), unhex(t, vectorRoots[size]); !bytes.Equal(got, want) {
					t.Fatalf("root(%d)=%x, want %x", size, got, want)
				}
			}

			for _, v := range vectorInclusion {
				got, err := InclusionProof(ctx, store, v.leaf-1, v.size)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(v.proof) {
					t.Fatalf("inclusion(%d, %d) has %d hashes, want %d", v.leaf-1, v.size, len(got), len(v.proof))
				}
				for i := range got {
					if want := unhex(t, v.proof[i]); !bytes.Equal(got[i], want) {
						t.Fatalf("inclusion(%d, %d)[%d]=%x, want %x", v.leaf-1, v.size, i, got[i], want)
					}
				}
			}
			for _, v := range vectorConsistency {
				got, err := ConsistencyProof(ctx, store, v.size1, v.size2)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(v.proof) {
					t.Fatalf("consistency(%d, %d) has %d hashes, want %d", v.size1, v.size2, len(got), len(v.proof))
				}
				for i := range got {
					if want := unhex(t, v.proof[i]); !bytes.Equal(got[i], want) {
						t.Fatalf("consistency(%d, %d)[%d]=%x, want %x", v.size1, v.size2, i, got[i], want)
					}
				}
			}
		})
	}
}
