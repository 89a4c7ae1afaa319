/// One token of a SQL query and where it starts (a UTF-8 byte offset into the query), so
/// errors can point at it.
struct SQLToken: Sendable, Equatable {
    /// What kind of token it is.
    enum Kind: Sendable, Equatable {
        /// A name: a keyword or an identifier (`select`, `v1`); `text` keeps its case.
        case word
        /// A name in double quotes (`"my column"`): never a keyword, case kept.
        case quotedName
        /// A number as written (`42`, `3.5`, `1e-3`).
        case number
        /// Text in single quotes, with `''` already turned into `'`.
        case string
        /// An operator or punctuation (`<=`, `(`, `,`, `*`).
        case symbol
        /// The end of the query.
        case end
    }

    let kind: Kind
    let text: String
    /// Where the token starts in the query, in UTF-8 bytes.
    let offset: Int

    /// Whether it is the keyword `keyword` (any case, unquoted).
    func isKeyword(_ keyword: String) -> Bool {
        kind == .word && text.caseInsensitiveCompare(keyword) == .orderedSame
    }

    /// Whether it is the symbol `symbol`.
    func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }

    /// How an error names it: the text in quotes, or "the end of the query".
    var quoted: String { kind == .end ? "the end of the query" : "\"\(text)\"" }
}
