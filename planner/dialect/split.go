package dialect

// Piece is one statement of a simple-query message.
type Piece struct {
	// Text is the statement's text: from its first token up to (not
	// including) the terminating ';' or the end of the message.
	Text string
	// Offset is the byte offset of Text in the message.
	Offset int
	// Char is the 0-based character offset of Text in the message; add it
	// to a 1-based Position relative to Text to get one relative to the
	// message, which is what PostgreSQL reports.
	Char int
	// Terminated is set when a ';' ended the piece; TermOffset is the
	// ';''s byte offset in the message.
	Terminated bool
	TermOffset int
}

// Split cuts a simple-query message into statements at top-level ';'
// tokens: never inside strings, dollar quotes, quoted identifiers,
// comments or parentheses. Pieces without tokens (";;", a lone comment)
// are dropped. A lexical error anywhere fails the whole message, as in
// PostgreSQL, which parses a message completely before running any of it.
func Split(text string) ([]Piece, error) {
	toks, err := Lex(text)
	if err != nil {
		return nil, err
	}
	var pieces []Piece
	depth := 0
	first := -1 // index of the piece's first token
	for i, t := range toks {
		switch {
		case t.Kind == EOF:
			if first >= 0 {
				ft := toks[first]
				pieces = append(pieces, Piece{Text: text[ft.Offset:], Offset: ft.Offset, Char: ft.Char})
			}
		case t.IsPunct(";") && depth == 0:
			if first >= 0 {
				ft := toks[first]
				pieces = append(pieces, Piece{Text: text[ft.Offset:t.Offset], Offset: ft.Offset, Char: ft.Char,
					Terminated: true, TermOffset: t.Offset})
			}
			first = -1
		default:
			if first < 0 {
				first = i
			}
			switch {
			case t.IsPunct("(") || t.IsPunct("["):
				depth++
			case (t.IsPunct(")") || t.IsPunct("]")) && depth > 0:
				depth--
			}
		}
	}
	return pieces, nil
}
