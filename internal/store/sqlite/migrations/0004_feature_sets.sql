-- The feature names of a decision are the same for every decision one model makes. They were
-- spelled out in each decision's sealed explanation, half of its bytes; a decision now
-- refers to the row here that lists them (explanation codec version 2, see codec.go), and
-- the rows written before still hold their names. Feature names are the engine's
-- vocabulary, not data about anyone, so they are stored as they are.
CREATE TABLE feature_sets (
    id    INTEGER PRIMARY KEY,
    names TEXT NOT NULL UNIQUE -- JSON array of the names, in the order of the values
) STRICT;
