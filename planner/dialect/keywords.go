package dialect

// PostgreSQL 15 keyword categories (src/include/parser/kwlist.h). The
// rewriter needs them to tell a column name or a bare alias from the next
// clause: reserved keywords are never names unless quoted, type/function
// keywords may name types and functions but not columns, and column-name
// keywords may name columns but not functions or types.

// reservedKeywords are PostgreSQL's RESERVED_KEYWORDs.
var reservedKeywords = setOf(
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"both", "case", "cast", "check", "collate", "column", "constraint", "create",
	"current_catalog", "current_date", "current_role", "current_time",
	"current_timestamp", "current_user", "default", "deferrable", "desc",
	"distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign",
	"from", "grant", "group", "having", "in", "initially", "intersect", "into",
	"lateral", "leading", "limit", "localtime", "localtimestamp", "not", "null",
	"offset", "on", "only", "or", "order", "placing", "primary", "references",
	"returning", "select", "session_user", "some", "symmetric", "table", "then",
	"to", "trailing", "true", "union", "unique", "user", "using", "variadic",
	"when", "where", "window", "with",
)

// typeFuncKeywords are TYPE_FUNC_NAME_KEYWORDs: not column names.
var typeFuncKeywords = setOf(
	"authorization", "binary", "collation", "concurrently", "cross",
	"current_schema", "freeze", "full", "ilike", "inner", "is", "isnull", "join",
	"left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar",
	"tablesample", "verbose",
)

// colNameKeywords are COL_NAME_KEYWORDs: column names, not function names
// (most of them have special call syntax handled by the rewriter).
var colNameKeywords = setOf(
	"between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec",
	"decimal", "exists", "extract", "float", "greatest", "grouping", "inout", "int",
	"integer", "interval", "least", "national", "nchar", "none", "normalize",
	"nullif", "numeric", "out", "overlay", "position", "precision", "real", "row",
	"setof", "smallint", "substring", "time", "timestamp", "treat", "trim",
	"values", "varchar", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
	"xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
	"xmltable",
)

// asLabelKeywords are the keywords PostgreSQL accepts as a column alias
// only after AS (AS_LABEL in kwlist.h), plus those that would be read as
// the continuation of the expression or the next clause. A bare alias is
// any other identifier.
var asLabelKeywords = setOf(
	"array", "as", "char", "character", "create", "day", "except", "fetch",
	"filter", "for", "from", "grant", "group", "having", "hour", "into",
	"intersect", "limit", "minute", "month", "national", "nchar", "offset", "on",
	"order", "over", "precision", "returning", "second", "to", "union", "varying",
	"where", "window", "with", "within", "without", "year",
	// continuation of an expression or the next clause:
	"and", "or", "not", "is", "isnull", "notnull", "in", "like", "ilike",
	"similar", "between", "collate", "at", "using", "join", "inner", "left",
	"right", "full", "cross", "natural", "outer", "asc", "desc", "nulls",
	"union", "escape", "then", "else", "end", "when", "overlaps", "uescape",
	"tablesample", "lateral", "only", "all", "distinct", "do", "default",
	"rows", "range", "groups", "fetch", "first", "next", "row", "only", "ties",
	"set", "values", "select", "returning", "conflict", "option", "operator",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isColumnName reports whether t can be a column, table or alias name
// (PostgreSQL's ColId): any quoted identifier, or an unquoted one that is
// not reserved and not a type/function keyword.
func isColumnName(t Token) bool {
	if t.Kind != Ident {
		return false
	}
	if t.Quoted {
		return true
	}
	return !reservedKeywords[t.Value] && !typeFuncKeywords[t.Value]
}

// isFuncName reports whether t can start a function or type name
// (type_function_name): not reserved, not a column-name keyword.
func isFuncName(t Token) bool {
	if t.Kind != Ident {
		return false
	}
	if t.Quoted {
		return true
	}
	return !reservedKeywords[t.Value] && !colNameKeywords[t.Value]
}

// isBareLabel reports whether t can be a column alias without AS.
func isBareLabel(t Token) bool {
	if t.Kind != Ident {
		return false
	}
	if t.Quoted {
		return true
	}
	return !asLabelKeywords[t.Value] && !reservedKeywords[t.Value]
}

// isLabel reports whether t can be a name after AS or after '.' (ColLabel):
// any identifier or keyword.
func isLabel(t Token) bool { return t.Kind == Ident }
