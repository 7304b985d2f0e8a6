package sqlite

import (
	"path/filepath"
	"testing"
)

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.db")
	s := open(t, path)
	saveFixture(t, s, "1")
	if err := migrate(ctx, s.db); err != nil {
		t.Fatal("second migrate:", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := open(t, path) // a third time, through Open
	var n int
	if err := s2.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
	if _, err := s2.Decision(ctx, "dec-1"); err != nil {
		t.Errorf("data lost across migrations: %v", err)
	}

	// A database from a newer binary is refused rather than misread.
	if _, err := s2.db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)"); err != nil {
		t.Fatal(err)
	}
	if err := migrate(ctx, s2.db); err == nil {
		t.Error("migrate accepted a schema newer than the binary")
	}
}
