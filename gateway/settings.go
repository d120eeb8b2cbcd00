package gateway

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lancegate/lancegate/executor/sqlstate"
)

// A setting is one configuration parameter of a session: its canonical
// name (the spelling SHOW uses as column name), default, whether clients
// are told about changes (ParameterStatus), and how values are checked.
type setting struct {
	name     string
	def      string
	report   bool
	readOnly bool
	desc     string
	// check validates and normalises a value; nil accepts anything.
	check func(v string) (string, error)
}

// serverVersion is the PostgreSQL version lancegate emulates (pg-compat
// §6.6): one value everywhere.
const (
	pgVersion    = "15.20"
	pgVersionNum = "150020"
)

func settingsTable(version string) []setting {
	sv := pgVersion + " (lancegate " + version + ")"
	return []setting{
		{name: "application_name", report: true, desc: "Sets the application name to be reported in statistics and logs."},
		{name: "client_encoding", def: "UTF8", report: true, check: checkEncoding, desc: "Sets the client's character set encoding."},
		{name: "DateStyle", def: "ISO, MDY", report: true, check: checkDateStyle, desc: "Sets the display format for date and time values."},
		{name: "default_transaction_read_only", def: "off", report: true, check: checkBool, desc: "Sets the default read-only status of new transactions."},
		{name: "in_hot_standby", def: "off", report: true, readOnly: true, desc: "Shows whether hot standby is currently active."},
		{name: "integer_datetimes", def: "on", report: true, readOnly: true, desc: "Shows whether datetimes are integer based."},
		{name: "IntervalStyle", def: "postgres", report: true, check: checkIntervalStyle, desc: "Sets the display format for interval values."},
		{name: "is_superuser", def: "on", report: true, readOnly: true, desc: "Shows whether the current user is a superuser."},
		{name: "server_encoding", def: "UTF8", report: true, readOnly: true, desc: "Shows the server (database) character set encoding."},
		{name: "server_version", def: sv, report: true, readOnly: true, desc: "Shows the server version."},
		{name: "session_authorization", report: true, readOnly: true, desc: "Sets the session user name."},
		{name: "standard_conforming_strings", def: "on", report: true, check: checkStandardStrings, desc: "Causes '...' strings to treat backslashes literally."},
		{name: "TimeZone", def: "UTC", report: true, check: checkTimeZone, desc: "Sets the time zone for displaying and interpreting time stamps."},
		{name: "server_version_num", def: pgVersionNum, readOnly: true, desc: "Shows the server version as an integer."},
		{name: "search_path", def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
		{name: "transaction_isolation", def: "read committed", check: checkIsolation, desc: "Sets the current transaction's isolation level."},
		{name: "default_transaction_isolation", def: "read committed", check: checkIsolation, desc: "Sets the transaction isolation level of each new transaction."},
		{name: "transaction_read_only", def: "off", check: checkBool, desc: "Sets the current transaction's read-only status."},
		{name: "client_min_messages", def: "notice", check: checkMinMessages, desc: "Sets the message levels that are sent to the client."},
		{name: "extra_float_digits", def: "1", check: checkFloatDigits, desc: "Sets the number of digits displayed for floating-point values."},
		{name: "bytea_output", def: "hex", check: checkByteaOutput, desc: "Sets the output format for bytea."},
		{name: "statement_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed duration of any statement."},
		{name: "lock_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed duration of any wait for a lock."},
		{name: "idle_in_transaction_session_timeout", def: "0", check: checkDuration, desc: "Sets the maximum allowed idle time between queries, when in a transaction."},
		{name: "max_identifier_length", def: "63", readOnly: true, desc: "Shows the maximum identifier length."},
		{name: "max_index_keys", def: "32", readOnly: true, desc: "Shows the maximum number of index keys."},
		{name: "block_size", def: "8192", readOnly: true, desc: "Shows the size of a disk block."},
		{name: "lc_collate", def: "C.UTF-8", readOnly: true, desc: "Shows the collation order locale."},
		{name: "lc_ctype", def: "C.UTF-8", readOnly: true, desc: "Shows the character classification and case conversion locale."},
		{name: "hnsw.ef_search", def: "40", check: checkPositiveInt, desc: "Sets the size of the dynamic candidate list for HNSW search."},
		{name: "ivfflat.probes", def: "1", check: checkPositiveInt, desc: "Sets the number of probes for IVFFlat search."},
		{name: "hnsw.iterative_scan", def: "off", desc: "Sets the mode for iterative HNSW scans."},
		{name: "lancegate.nprobes", def: "20", check: checkPositiveInt, desc: "Sets the number of IVF partitions a vector index search probes (ivfflat.probes sets it too)."},
		{name: "lancegate.refine_factor", def: "1", check: checkPositiveInt, desc: "Sets how many candidates per result row a vector index search re-ranks by exact distance."},
		{name: "lancegate.ef", def: "40", check: checkPositiveInt, desc: "Sets the HNSW search list size of IVF_HNSW_SQ indexes (hnsw.ef_search sets it too)."},
	}
}

// settings is one session's configuration parameters.
type settings struct {
	defs   map[string]*setting // by lower-case name
	values map[string]string   // by canonical name
	// custom holds parameters with a dot in their name (app.user_id).
	custom map[string]string
	loc    *time.Location
	// setAt orders the parameters set in this session (by canonical name;
	// absent: at its default), so that of two spellings of one knob the
	// later SET wins (knob).
	setAt map[string]int
	seq   int
}

func newSettings(version string) *settings {
	s := &settings{defs: map[string]*setting{}, values: map[string]string{}, custom: map[string]string{}, loc: time.UTC, setAt: map[string]int{}}
	for _, d := range settingsTable(version) {
		d := d
		s.defs[strings.ToLower(d.name)] = &d
		s.values[d.name] = d.def
	}
	return s
}

// lookup returns the definition of a parameter by any spelling.
func (s *settings) lookup(name string) (*setting, bool) {
	d, ok := s.defs[strings.ToLower(name)]
	return d, ok
}

// get returns a parameter's value and canonical name.
func (s *settings) get(name string) (value, canonical string, err error) {
	if d, ok := s.lookup(name); ok {
		return s.values[d.name], d.name, nil
	}
	if strings.Contains(name, ".") {
		if v, ok := s.custom[strings.ToLower(name)]; ok {
			return v, strings.ToLower(name), nil
		}
	}
	return "", "", sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
}

// set changes a parameter; it returns the canonical name and whether the
// change must be reported to the client.
func (s *settings) set(name, value string) (string, bool, error) {
	d, ok := s.lookup(name)
	if !ok {
		if strings.Contains(name, ".") {
			s.custom[strings.ToLower(name)] = value
			return strings.ToLower(name), false, nil
		}
		return "", false, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if d.readOnly {
		if strings.EqualFold(value, s.values[d.name]) {
			return d.name, false, nil
		}
		return "", false, sqlstate.New(sqlstate.ObjectNotInPrerequisiteState, "parameter %q cannot be changed", d.name)
	}
	if d.check != nil {
		v, err := d.check(value)
		if err != nil {
			return "", false, err
		}
		value = v
	}
	if d.name == "TimeZone" {
		loc, _ := loadZone(value)
		s.loc = loc
	}
	changed := s.values[d.name] != value
	s.values[d.name] = value
	s.seq++
	s.setAt[d.name] = s.seq
	return d.name, d.report && changed, nil
}

// knob returns the value of a parameter that has a second spelling
// (lancegate.nprobes and pgvector's ivfflat.probes): whichever the session
// set last, or the first's default when neither was set.
func (s *settings) knob(name, alias string) string {
	if alias != "" && s.setAt[alias] > s.setAt[name] {
		return s.values[alias]
	}
	return s.values[name]
}

// reset restores a parameter's default.
func (s *settings) reset(name string) (string, bool, error) {
	d, ok := s.lookup(name)
	if !ok {
		if strings.Contains(name, ".") {
			delete(s.custom, strings.ToLower(name))
			return strings.ToLower(name), false, nil
		}
		return "", false, sqlstate.New(sqlstate.UndefinedObject, "unrecognized configuration parameter %q", name)
	}
	canon, report, err := s.set(d.name, d.def)
	delete(s.setAt, d.name)
	return canon, report, err
}

// all lists every parameter, sorted by name, for SHOW ALL.
func (s *settings) all() [][3]string {
	var out [][3]string
	for _, d := range s.defs {
		out = append(out, [3]string{d.name, s.values[d.name], d.desc})
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i][0]) < strings.ToLower(out[j][0]) })
	return out
}

// reported lists the parameters sent after authentication, in PG's order.
func (s *settings) reported(version string) [][2]string {
	var out [][2]string
	for _, d := range settingsTable(version) {
		if d.report {
			out = append(out, [2]string{d.name, s.values[d.name]})
		}
	}
	return out
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.Trim(v, "'\""), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"client_encoding\": %q", v).WithDetail("lancegate sends and expects UTF8 only.")
}

func checkDateStyle(v string) (string, error) {
	u := strings.ToUpper(strings.ReplaceAll(v, " ", ""))
	order := "MDY"
	switch {
	case strings.Contains(u, "DMY"):
		order = "DMY"
	case strings.Contains(u, "YMD"):
		order = "YMD"
	}
	if u == "" || strings.HasPrefix(u, "ISO") || u == "MDY" || u == "DMY" || u == "YMD" {
		return "ISO, " + order, nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"DateStyle\": %q", v).WithDetail("lancegate supports ISO output only.")
}

func checkIntervalStyle(v string) (string, error) {
	if strings.EqualFold(v, "postgres") {
		return "postgres", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"IntervalStyle\": %q", v)
}

func checkBool(v string) (string, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return "on", nil
	case "off", "false", "no", "0":
		return "off", nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "parameter requires a Boolean value")
}

func checkStandardStrings(v string) (string, error) {
	b, err := checkBool(v)
	if err != nil {
		return "", err
	}
	if b == "off" {
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "standard_conforming_strings = off is not supported")
	}
	return b, nil
}

func checkIsolation(v string) (string, error) {
	l := strings.ToLower(strings.Join(strings.Fields(v), " "))
	switch l {
	case "read committed", "repeatable read", "read uncommitted":
		return l, nil
	case "serializable":
		return "", sqlstate.New(sqlstate.FeatureNotSupported, "SERIALIZABLE isolation is not supported").WithHint("lancegate transactions read one snapshot (repeatable read) and fail conflicting commits with 40001.")
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"transaction_isolation\": %q", v)
}

func checkMinMessages(v string) (string, error) {
	l := strings.ToLower(v)
	switch l {
	case "debug5", "debug4", "debug3", "debug2", "debug1", "debug", "log", "notice", "warning", "error", "info":
		return l, nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"client_min_messages\": %q", v)
}

func checkFloatDigits(v string) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < -15 || n > 3 {
		return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"extra_float_digits\": %q", v)
	}
	return strconv.Itoa(n), nil
}

func checkByteaOutput(v string) (string, error) {
	l := strings.ToLower(v)
	if l == "hex" || l == "escape" {
		return l, nil
	}
	return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"bytea_output\": %q", v)
}

func checkPositiveInt(v string) (string, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 {
		return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value %q: a positive integer is required", v)
	}
	return strconv.Itoa(n), nil
}

// checkDuration accepts PostgreSQL's time settings: a number of
// milliseconds or a number with a unit (ms, s, min, h, d).
func checkDuration(v string) (string, error) {
	if _, err := parseDuration(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(v), nil
}

func parseDuration(v string) (time.Duration, error) {
	s := strings.ToLower(strings.TrimSpace(strings.Trim(v, "'")))
	num := strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyz ")
	unit := strings.TrimSpace(s[len(num):])
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || n < 0 {
		return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for a time setting: %q", v)
	}
	mult := map[string]time.Duration{"": time.Millisecond, "us": time.Microsecond, "ms": time.Millisecond, "s": time.Second, "min": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[unit]
	if mult == 0 {
		return 0, sqlstate.New(sqlstate.InvalidParameterValue, "invalid unit for a time setting: %q", v).WithHint(`Valid units are "us", "ms", "s", "min", "h", and "d".`)
	}
	return time.Duration(n * float64(mult)), nil
}

func checkTimeZone(v string) (string, error) {
	loc, name := loadZone(v)
	if loc == nil {
		return "", sqlstate.New(sqlstate.InvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
	}
	return name, nil
}

// loadZone resolves a TimeZone value: IANA names (case-insensitive for
// UTC/GMT), or a numeric offset (PostgreSQL's POSIX reading: '+05:30' is
// five and a half hours WEST of UTC when written as a bare offset).
func loadZone(v string) (*time.Location, string) {
	s := strings.TrimSpace(strings.Trim(v, "'"))
	switch strings.ToLower(s) {
	case "utc", "gmt", "z", "zulu", "etc/utc", "universal":
		if strings.EqualFold(s, "etc/utc") {
			return time.UTC, "Etc/UTC"
		}
		return time.UTC, "UTC"
	case "local", "default":
		return time.UTC, "UTC"
	}
	if loc, err := time.LoadLocation(s); err == nil {
		return loc, s
	}
	// Numeric offsets: hours, or ±HH:MM.
	if h, err := strconv.ParseFloat(s, 64); err == nil {
		secs := int(h * 3600)
		return time.FixedZone(fmt.Sprintf("<%+03d>%+d", secs/3600, -secs/3600), secs), fmt.Sprintf("<%+03d>%+d", secs/3600, -secs/3600)
	}
	if len(s) >= 3 && (s[0] == '+' || s[0] == '-') {
		parts := strings.SplitN(s[1:], ":", 2)
		hh, err1 := strconv.Atoi(parts[0])
		mm := 0
		var err2 error
		if len(parts) == 2 {
			mm, err2 = strconv.Atoi(parts[1])
		}
		if err1 == nil && err2 == nil {
			secs := hh*3600 + mm*60
			if s[0] == '-' {
				secs = -secs
			}
			name := fmt.Sprintf("<%s>%s", s, negateOffset(s))
			return time.FixedZone(name, secs), name
		}
	}
	return nil, ""
}

func negateOffset(s string) string {
	if s[0] == '+' {
		return "-" + s[1:]
	}
	return "+" + s[1:]
}
