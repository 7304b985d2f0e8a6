package rules

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/vigil-fraud/vigil/internal/fraud"
)

// The CEL object types the rules see. They exist only in this package's type provider: a rule
// cannot construct them, only read their fields.
const (
	txnTypeName      = "vigil.Transaction"
	featuresTypeName = "vigil.Features"
	listsTypeName    = "vigil.Lists"
)

// The views the activation hands to CEL for txn, features and lists. They are the same
// reusable activation under other names, so resolving a variable allocates nothing; the field
// getters below know which view they read.
type (
	txnView      activation
	featuresView activation
	listsView    activation
)

// String names the view, so that an error CEL formats with a view in it (a rule comparing
// txn itself, say) holds the variable's name and never the transaction's or features' values.
func (*txnView) String() string      { return "txn" }
func (*featuresView) String() string { return "features" }
func (*listsView) String() string    { return "lists" }

// txnFields maps each field of txn, by its JSON name, to its CEL type, its presence test and
// its getter.
var txnFields = map[string]*types.FieldType{
	"id":                stringField(func(t *fraud.Transaction) string { return t.ID }),
	"currency":          stringField(func(t *fraud.Transaction) string { return t.Currency }),
	"customer_id":       stringField(func(t *fraud.Transaction) string { return t.CustomerID }),
	"terminal_id":       stringField(func(t *fraud.Transaction) string { return t.TerminalID }),
	"card":              stringField(func(t *fraud.Transaction) string { return t.Card }),
	"merchant_category": stringField(func(t *fraud.Transaction) string { return t.MerchantCategory }),
	"channel":           stringField(func(t *fraud.Transaction) string { return t.Channel }),
	"country":           stringField(func(t *fraud.Transaction) string { return t.Country }),
	"device_id":         stringField(func(t *fraud.Transaction) string { return t.DeviceID }),
	"ip":                stringField(func(t *fraud.Transaction) string { return t.IP }),
	"amount": {
		Type:    types.DoubleType,
		IsSet:   func(any) bool { return true },
		GetFrom: func(v any) (any, error) { return types.Double(txnOf(v).Amount), nil },
	},
	"timestamp": {
		Type:    types.TimestampType,
		IsSet:   func(v any) bool { return !txnOf(v).Timestamp.IsZero() },
		GetFrom: func(v any) (any, error) { return types.Timestamp{Time: txnOf(v).Timestamp.UTC()}, nil },
	},
	"attributes": {
		Type:  types.NewMapType(types.StringType, types.StringType),
		IsSet: func(v any) bool { return len(txnOf(v).Attributes) > 0 },
		GetFrom: func(v any) (any, error) {
			return types.NewStringStringMap(types.DefaultTypeAdapter, txnOf(v).Attributes), nil
		},
	},
}

// emptyTxn stands in when Evaluate is given no transaction, so a getter never dereferences nil.
var emptyTxn = &fraud.Transaction{}

func txnOf(v any) *fraud.Transaction {
	if t := (*activation)(v.(*txnView)).txn; t != nil {
		return t
	}
	return emptyTxn
}

func stringField(get func(*fraud.Transaction) string) *types.FieldType {
	return &types.FieldType{
		Type:    types.StringType,
		IsSet:   func(v any) bool { return get(txnOf(v)) != "" },
		GetFrom: func(v any) (any, error) { return types.String(get(txnOf(v))), nil },
	}
}

// provider adds vigil's three object types to CEL's standard registry. Everything else
// (timestamps, durations, the well-known types) is the registry's.
type provider struct {
	*types.Registry
	features map[string]*types.FieldType
	lists    map[string]*types.FieldType
}

func newProvider(featureNames, listNames []string) (*provider, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	p := &provider{
		Registry: reg,
		features: make(map[string]*types.FieldType, len(featureNames)),
		lists:    make(map[string]*types.FieldType, len(listNames)),
	}
	for i, name := range featureNames {
		if _, dup := p.features[name]; dup {
			return nil, fmt.Errorf("feature %q declared twice", name)
		}
		p.features[name] = &types.FieldType{
			Type:  types.DoubleType,
			IsSet: func(v any) bool { return i < len(v.(*featuresView).features) },
			GetFrom: func(v any) (any, error) {
				f := v.(*featuresView).features
				if i >= len(f) {
					return nil, fmt.Errorf("feature %s: not computed", name)
				}
				return types.Double(f[i]), nil
			},
		}
	}
	for _, name := range listNames {
		if _, dup := p.lists[name]; dup {
			return nil, fmt.Errorf("list %q declared twice", name)
		}
		p.lists[name] = &types.FieldType{
			Type:    types.NewListType(types.StringType),
			IsSet:   func(v any) bool { return v.(*listsView).lists.Len(name) > 0 },
			GetFrom: func(v any) (any, error) { return v.(*listsView).lists.value(name), nil },
		}
	}
	return p, nil
}

func (p *provider) fields(typeName string) map[string]*types.FieldType {
	switch typeName {
	case txnTypeName:
		return txnFields
	case featuresTypeName:
		return p.features
	case listsTypeName:
		return p.lists
	}
	return nil
}

// FindStructType implements types.Provider.
func (p *provider) FindStructType(typeName string) (*types.Type, bool) {
	if p.fields(typeName) != nil {
		return types.NewTypeTypeWithParam(types.NewObjectType(typeName)), true
	}
	return p.Registry.FindStructType(typeName)
}

// FindStructFieldNames implements types.Provider.
func (p *provider) FindStructFieldNames(typeName string) ([]string, bool) {
	if fs := p.fields(typeName); fs != nil {
		names := make([]string, 0, len(fs))
		for n := range fs {
			names = append(names, n)
		}
		return names, true
	}
	return p.Registry.FindStructFieldNames(typeName)
}

// FindStructFieldType implements types.Provider: an unknown field of txn, features or lists
// is a compile error, which is what makes a misspelt feature name fail on load.
func (p *provider) FindStructFieldType(typeName, field string) (*types.FieldType, bool) {
	if fs := p.fields(typeName); fs != nil {
		ft, ok := fs[field]
		return ft, ok
	}
	return p.Registry.FindStructFieldType(typeName, field)
}

// NewValue implements types.Provider: rules may not construct vigil's types.
func (p *provider) NewValue(typeName string, fields map[string]ref.Val) ref.Val {
	if p.fields(typeName) != nil {
		return types.NewErr("%s cannot be constructed", typeName)
	}
	return p.Registry.NewValue(typeName, fields)
}

// newEnv builds the CEL environment: the standard library and nothing else (no extension
// library, so no function beyond the specification's), and the four variables.
func newEnv(p *provider) (*cel.Env, error) {
	return cel.NewCustomEnv(
		cel.StdLib(),
		cel.CustomTypeAdapter(p.Registry),
		cel.CustomTypeProvider(p),
		cel.Variable("txn", cel.ObjectType(txnTypeName)),
		cel.Variable("features", cel.ObjectType(featuresTypeName)),
		cel.Variable("lists", cel.ObjectType(listsTypeName)),
		cel.Variable("score", cel.DoubleType),
	)
}
