package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/wardhq/ward"
)

type ndjsonEncoder struct {
	w   io.Writer
	buf bytes.Buffer
}

type ndjsonRecord struct {
	LedgerIndex uint64      `json:"ledger_index"`
	Event       *ward.Event `json:"event"`
}

func (enc *ndjsonEncoder) Encode(index uint64, e *ward.Event) error {
	b, err := marshalLine(&enc.buf, ndjsonRecord{LedgerIndex: index, Event: e})
	if err != nil {
		return fmt.Errorf("encode entry %d: %w", index, err)
	}
	_, err = enc.w.Write(b)
	return err
}

// EncodeLeaf writes leaf.Data as the event, byte for byte, so that the
// record's event hashes to the leaf hash: SHA-256(0x00 || event bytes).
func (enc *ndjsonEncoder) EncodeLeaf(leaf *ward.LedgerLeaf) error {
	enc.buf.Reset()
	enc.buf.WriteString(`{"ledger_index":`)
	enc.buf.WriteString(strconv.FormatUint(leaf.Index, 10))
	enc.buf.WriteString(`,"event":`)
	// Compact is the identity on canonical (RFC 8785) JSON; on anything
	// else it fails or removes the whitespace that would break the line.
	if err := json.Compact(&enc.buf, leaf.Data); err != nil {
		return fmt.Errorf("encode entry %d: %w", leaf.Index, err)
	}
	enc.buf.WriteString("}\n")
	_, err := enc.w.Write(enc.buf.Bytes())
	return err
}
