package rules

import (
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// Lists are the named lists of strings rules read as lists.NAME (blocked cards, blocked
// terminals, trusted customers...). A Lists is immutable once built and safe for concurrent
// use; build a new one when a list changes. The caller owns the lists' contents: this package
// neither stores nor logs them.
type Lists struct {
	byName map[string]*stringSet
}

// NewLists builds Lists from each list's entries. Duplicates are harmless.
func NewLists(lists map[string][]string) *Lists {
	l := &Lists{byName: make(map[string]*stringSet, len(lists))}
	for name, entries := range lists {
		set := make(map[string]struct{}, len(entries))
		for _, e := range entries {
			set[e] = struct{}{}
		}
		l.byName[name] = &stringSet{
			Lister: types.NewStringList(types.DefaultTypeAdapter, append([]string(nil), entries...)),
			set:    set,
		}
	}
	return l
}

// Len returns the number of entries of the named list, 0 when there is no such list.
func (l *Lists) Len(name string) int {
	if l == nil {
		return 0
	}
	if s, ok := l.byName[name]; ok {
		return len(s.set)
	}
	return 0
}

// emptyList is what a rule sees for a list it declared but the caller did not give.
var emptyList = &stringSet{Lister: types.NewStringList(types.DefaultTypeAdapter, nil), set: map[string]struct{}{}}

func (l *Lists) value(name string) ref.Val {
	if l != nil {
		if s, ok := l.byName[name]; ok {
			return s
		}
	}
	return emptyList
}

// stringSet is a CEL list of strings whose membership test ("x in lists.blocked_cards") is a
// hash lookup rather than CEL's scan, so a list of a million entries costs what one of ten does.
// Everything else (iteration, size, indexing) is CEL's own list.
type stringSet struct {
	traits.Lister
	set map[string]struct{}
}

// Contains implements traits.Container with a hash lookup. A list holds strings only, and
// no string equals a value of another type, so anything else is not in it: answered at
// once, never by a scan (the cost model charges `in` one unit, so a scan would let
// `lists.big.exists(x, dyn(1) in lists.big)` do quadratic work within the cost limit).
func (s *stringSet) Contains(v ref.Val) ref.Val {
	str, ok := v.(types.String)
	if !ok {
		if types.IsUnknownOrError(v) {
			return v
		}
		return types.False
	}
	_, found := s.set[string(str)]
	return types.Bool(found)
}
