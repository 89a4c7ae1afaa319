/// What goes wrong in FlockML, each case a sentence a user can act on.
public enum MLError: Error, Equatable, CustomStringConvertible {
    /// A parameter's value is outside what it accepts.
    case invalidParameter(name: String, value: String, allowed: String)
    /// The data cannot be used as asked (a missing or non-numeric column, a NaN feature, no rows).
    case invalidData(String)
    /// The fit cannot be solved as posed (collinear features without regularization).
    case notSolvable(String)
    /// A model file (its path) cannot be read, written or understood (the problem).
    case invalidModelFile(String, String)

    public var description: String {
        switch self {
        case .invalidParameter(let name, let value, let allowed):
            "parameter \(name) is \(value); it must be \(allowed)"
        case .invalidData(let problem): "bad input data: \(problem)"
        case .notSolvable(let problem): "the fit has no unique solution: \(problem)"
        case .invalidModelFile(let path, let problem): "model file \(path): \(problem)"
        }
    }
}

/// Checks of parameter values, each failure naming the parameter, the value and the range.
enum Parameter {
    /// `value` must be at least `minimum` (and finite).
    static func atLeast(_ name: String, _ value: Double, _ minimum: Double) throws {
        guard value.isFinite, value >= minimum else {
            throw MLError.invalidParameter(name: name, value: "\(value)", allowed: "a finite number >= \(minimum)")
        }
    }

    /// The integer `value` must be at least `minimum`.
    static func atLeast(_ name: String, _ value: Int, _ minimum: Int) throws {
        guard value >= minimum else {
            throw MLError.invalidParameter(name: name, value: "\(value)", allowed: "an integer >= \(minimum)")
        }
    }

    /// The integer `value` must be at most `maximum`.
    static func atMost(_ name: String, _ value: Int, _ maximum: Int) throws {
        guard value <= maximum else {
            throw MLError.invalidParameter(name: name, value: "\(value)", allowed: "an integer <= \(maximum)")
        }
    }

    /// k clusters need at least k rows.
    static func clusters(_ k: Int, rows: Int) throws {
        guard rows >= k else {
            throw MLError.invalidData("k is \(k) but there are only \(rows) rows; k must be at most the rows")
        }
    }

    /// `value` must be a number in [0, 1].
    static func unitInterval(_ name: String, _ value: Double) throws {
        guard value >= 0, value <= 1 else {
            throw MLError.invalidParameter(name: name, value: "\(value)", allowed: "a number in [0, 1]")
        }
    }

    /// `value` must be a fraction in (0, 1].
    static func fraction(_ name: String, _ value: Double) throws {
        guard value > 0, value <= 1 else {
            throw MLError.invalidParameter(name: name, value: "\(value)", allowed: "a number in (0, 1]")
        }
    }

    /// `inputs` must not be empty, and `outputs` must name one column per input.
    static func columnPairs(_ inputs: [String], _ outputs: [String]) throws {
        try columns("inputColumns", inputs)
        guard outputs.count == inputs.count else {
            throw MLError.invalidParameter(
                name: "outputColumns", value: "\(outputs.count) names",
                allowed: "one name per input column (\(inputs.count))")
        }
    }

    /// `columns` must not be empty.
    static func columns(_ name: String, _ columns: [String]) throws {
        guard !columns.isEmpty else {
            throw MLError.invalidParameter(name: name, value: "[]", allowed: "at least one column name")
        }
    }
}
