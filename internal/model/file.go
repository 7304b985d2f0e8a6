package model

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// A model file is one JSON object, the envelope:
//
//	{"vigil_model":1,"sha256":"<hex>","signature":"<base64>","content":{...}}
//
// "content" is the model document; "sha256" is the SHA-256 of the exact bytes
// of the content value as they appear in the file, and the optional
// "signature" is an Ed25519 signature of signingContext followed by those
// bytes. Save writes the envelope by hand around the content bytes, so what
// is hashed is exactly what is on disk.

// envelopeVersion is the version of the envelope format.
const envelopeVersion = 1

// signingContext separates model signatures from any other use of the key.
const signingContext = "vigil model v1\n"

// DefaultMaxFileSize bounds what Load reads when LoadOptions.MaxSize is 0.
const DefaultMaxFileSize = 256 << 20

// SaveOptions control Save.
type SaveOptions struct {
	// PrivateKey, when not nil, signs the content.
	PrivateKey ed25519.PrivateKey
}

// LoadOptions control Load.
type LoadOptions struct {
	// PublicKey, when not nil, makes a valid signature by its private key
	// mandatory: an unsigned file is refused.
	PublicKey ed25519.PublicKey
	// MaxSize bounds the file size in bytes. Default DefaultMaxFileSize.
	MaxSize int64
}

type envelope struct {
	VigilModel int             `json:"vigil_model"`
	SHA256     string          `json:"sha256"`
	Signature  string          `json:"signature,omitempty"`
	Content    json.RawMessage `json:"content"`
}

// Save writes f to w as a model file, signed when o.PrivateKey is set. On
// success it sets f.CreatedAt (when zero), f.SHA256 and f.Signed. It refuses
// a File whose model and features disagree or whose metrics are not finite.
func Save(w io.Writer, f *File, o SaveOptions) error {
	created := f.CreatedAt
	if created.IsZero() {
		created = time.Now().UTC()
	}
	g := *f
	g.CreatedAt = created
	content, err := encodeContent(&g)
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	sum := sha256.Sum256(content)
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"vigil_model":%d,"sha256":"%x"`, envelopeVersion, sum)
	if o.PrivateKey != nil {
		sig, err := Sign(content, o.PrivateKey)
		if err != nil {
			return fmt.Errorf("save model: %w", err)
		}
		fmt.Fprintf(&buf, `,"signature":"%s"`, base64.StdEncoding.EncodeToString(sig))
	}
	buf.WriteString(`,"content":`)
	buf.Write(content)
	buf.WriteString("}\n")
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	f.CreatedAt, f.SHA256, f.Signed = created, hex.EncodeToString(sum[:]), o.PrivateKey != nil
	return nil
}

// Load reads a model file and returns it only if every check passes: the
// envelope is well-formed and of a known version, the content matches its
// SHA-256 (ErrChecksum), the signature verifies when o.PublicKey is set
// (ErrSignature, also when the file is unsigned), and the document is a
// complete, valid model (ErrInvalidModel, ErrUnsupported). Nothing partial is
// ever returned.
func Load(r io.Reader, o LoadOptions) (*File, error) {
	limit := o.MaxSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("load model: %w: larger than %d bytes", ErrInvalidModel, limit)
	}
	var env envelope
	if err := strictUnmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("load model: %w: not a model file (truncated or corrupt?): %v", ErrInvalidModel, err)
	}
	if env.VigilModel != envelopeVersion {
		return nil, fmt.Errorf("load model: %w: envelope version %d (this build reads %d)", ErrUnsupported, env.VigilModel, envelopeVersion)
	}
	want, err := hex.DecodeString(env.SHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("load model: %w: malformed sha256 %q", ErrChecksum, env.SHA256)
	}
	sum := sha256.Sum256(env.Content)
	if subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return nil, fmt.Errorf("load model: %w: content hashes to %x, file says %s", ErrChecksum, sum, env.SHA256)
	}
	if o.PublicKey != nil {
		if env.Signature == "" {
			return nil, fmt.Errorf("load model: %w: the file is unsigned and a public key is configured", ErrSignature)
		}
		sig, err := base64.StdEncoding.Strict().DecodeString(env.Signature)
		if err != nil {
			return nil, fmt.Errorf("load model: %w: malformed signature", ErrSignature)
		}
		if err := Verify(env.Content, sig, o.PublicKey); err != nil {
			return nil, fmt.Errorf("load model: %w", err)
		}
	}
	f, err := decodeContent(env.Content)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	f.SHA256, f.Signed = env.SHA256, env.Signature != ""
	return f, nil
}

// Sign returns the Ed25519 signature of model content bytes.
func Sign(content []byte, priv ed25519.PrivateKey) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: private key has %d bytes, want %d", ErrSignature, len(priv), ed25519.PrivateKeySize)
	}
	return ed25519.Sign(priv, signedMessage(content)), nil
}

// Verify checks an Ed25519 signature of model content bytes; the error wraps
// ErrSignature.
func Verify(content, sig []byte, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key has %d bytes, want %d", ErrSignature, len(pub), ed25519.PublicKeySize)
	}
	if !ed25519.Verify(pub, signedMessage(content), sig) {
		return fmt.Errorf("%w: signature does not match the content and key", ErrSignature)
	}
	return nil
}

func signedMessage(content []byte) []byte {
	msg := make([]byte, 0, len(signingContext)+len(content))
	return append(append(msg, signingContext...), content...)
}

// ParsePublicKey decodes an Ed25519 public key written as base64 (standard or
// URL alphabet, padded or not) or hex, such as the value of
// VIGIL_MODEL_PUBKEY.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeKey(s, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return ed25519.PublicKey(b), nil
}

// ParsePrivateKey decodes an Ed25519 private key written as base64 or hex,
// either the 32-byte seed or the 64-byte seed-and-public-key form.
func ParsePrivateKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeKey(s, ed25519.SeedSize, ed25519.PrivateKeySize)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	if len(b) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(b), nil
	}
	priv := ed25519.PrivateKey(b)
	if !bytes.Equal(priv.Public().(ed25519.PublicKey), ed25519.NewKeyFromSeed(priv.Seed()).Public().(ed25519.PublicKey)) {
		return nil, fmt.Errorf("private key: %w: public half does not match the seed", ErrSignature)
	}
	return priv, nil
}

// decodeKey decodes s as hex or base64 into one of the sizes.
func decodeKey(s string, sizes ...int) ([]byte, error) {
	s = strings.TrimSpace(s)
	decoders := []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	}
	for _, dec := range decoders {
		if b, err := dec(s); err == nil {
			for _, n := range sizes {
				if len(b) == n {
					return b, nil
				}
			}
		}
	}
	return nil, fmt.Errorf("%w: not a hex or base64 key of %v bytes", ErrSignature, sizes)
}
