import FlockTensor

/// How `ModelFile` keeps a model's numbers: the model is encoded as JSON, and every array
/// of numbers in it (a vector, or a matrix of equal rows) moves into a safetensors tensor
/// (float64, or int64 when all its numbers are integers: JSON does not tell 2.0 from 2, so
/// a float array whose values are all whole reads as int64 in Python), its place taken by
/// `{"$tensor": "name"}`, the name being the array's path (`model.coefficients`,
/// `model.ensemble.trees.3.thresholds`). The JSON that remains is small and readable; the
/// arrays are exact raw bytes that any safetensors reader (Python's included) can load.
///
/// Non-finite numbers, which the JSON holds as the strings `Infinity`, `-Infinity` and
/// `NaN`, travel as such in float64 tensors. Arrays of booleans, and of integers an Int64
/// cannot hold, stay in the JSON.
enum ModelArrays {
    static let placeholderKey = "$tensor"
    /// Non-finite numbers as the JSON holds them (`ModelFile`'s encoder writes them as strings).
    private static let nonFinite: [String: Double] = ["Infinity": .infinity, "-Infinity": -.infinity, "NaN": .nan]

    /// `tree` with its numeric arrays replaced by placeholders, and those arrays as tensors.
    static func split(_ tree: JSONTree) throws -> (json: String, tensors: [(String, Tensor)]) {
        var tensors: [(String, Tensor)] = []
        let replaced = try extract(tree, path: "", into: &tensors)
        return (replaced.text, tensors)
    }

    /// The JSON `split` made, its placeholders filled from `tensors` again.
    /// - Throws: `MLError.invalidData` for JSON that does not parse, a placeholder without
    ///   its tensor, or a tensor of a type or rank this format does not write.
    static func join(_ json: String, tensors: [String: Tensor]) throws -> String {
        try restore(try JSONTree.parse(Array(json.utf8)), tensors).text
    }

    private static func extract(_ tree: JSONTree, path: String, into tensors: inout [(String, Tensor)]) throws
        -> JSONTree
    {
        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        switch tree {
        case .object(let members):
            return .object(try members.map { ($0.key, try extract($0.value, path: child($0.key), into: &tensors)) })
        case .array(let elements):
            if let tensor = try tensor(elements) {
                tensors.append((path, tensor))
                return .object([(placeholderKey, .string(path))])
            }
            return .array(try elements.enumerated().map { try extract($1, path: child("\($0)"), into: &tensors) })
        default:
            return tree
        }
    }

    /// The kind of number an element is: nil when it is not one this format moves.
    private enum Number {
        case integer(Int64)
        case real(Double)
    }

    private static func number(_ element: JSONTree) -> Number? {
        switch element {
        case .string(let text): return nonFinite[text].map(Number.real)
        case .number(let text):
            // An integer an Int64 cannot hold stays in the JSON rather than lose digits.
            guard text.contains(where: { ".eE".contains($0) }) || text == "-0" else {
                return Int64(text).map(Number.integer)
            }
            return Double(text).map(Number.real)
        default: return nil
        }
    }

    /// `elements` as a vector, or a matrix of equal rows, of numbers (nil when they are not
    /// one, or hold no actual number).
    private static func tensor(_ elements: [JSONTree]) throws -> Tensor? {
        let flat: [Number]
        let shape: [Int]
        if case .array(let first)? = elements.first {
            // A matrix: every element a row of as many numbers as the first.
            let rows = elements.map { element -> [Number]? in
                guard case .array(let row) = element, row.count == first.count else { return nil }
                let values = row.compactMap(number)
                return values.count == row.count ? values : nil
            }
            guard !first.isEmpty, rows.allSatisfy({ $0 != nil }) else { return nil }
            (flat, shape) = (rows.flatMap { $0! }, [rows.count, first.count])
        } else {
            flat = elements.compactMap(number)
            guard !flat.isEmpty, flat.count == elements.count else { return nil }
            shape = [flat.count]
        }
        let integers = flat.compactMap { value -> Int64? in
            if case .integer(let integer) = value { integer } else { nil }
        }
        if integers.count == flat.count { return try Tensor(integers, shape: shape) }
        // Strings alone ("NaN" in a list of names) are not numbers.
        guard flat.contains(where: { if case .real(let x) = $0 { x.isFinite } else { true } }) else { return nil }
        return try Tensor(
            flat.map { value -> Double in
                switch value {
                case .integer(let integer): Double(integer)
                case .real(let real): real
                }
            }, shape: shape)
    }

    private static func restore(_ tree: JSONTree, _ tensors: [String: Tensor]) throws -> JSONTree {
        switch tree {
        case .object(let members):
            if members.count == 1, members[0].key == placeholderKey, case .string(let name) = members[0].value {
                guard let tensor = tensors[name] else {
                    throw MLError.invalidData("its JSON names tensor \"\(name)\", which the file does not hold")
                }
                return try array(tensor, name: name)
            }
            return .object(try members.map { ($0.key, try restore($0.value, tensors)) })
        case .array(let elements): return .array(try elements.map { try restore($0, tensors) })
        default: return tree
        }
    }

    /// A tensor as the JSON array it replaced.
    private static func array(_ tensor: Tensor, name: String) throws -> JSONTree {
        let elements: [JSONTree]
        switch tensor.dtype {
        case .float64:
            elements = try tensor.scalars(as: Double.self).map { x in
                if x.isNaN { return .string("NaN") }
                if x.isInfinite { return .string(x > 0 ? "Infinity" : "-Infinity") }
                return .number("\(x)")
            }
        case .int64: elements = try tensor.scalars(as: Int64.self).map { .number("\($0)") }
        default: throw MLError.invalidData("tensor \"\(name)\" is \(tensor.dtype); model arrays are float64 or int64")
        }
        switch tensor.shape.count {
        case 1: return .array(elements)
        case 2:
            let columns = tensor.shape[1]
            return .array((0..<tensor.shape[0]).map { .array(Array(elements[$0 * columns..<($0 + 1) * columns])) })
        default:
            throw MLError.invalidData(
                "tensor \"\(name)\" has shape \(tensor.shape); model arrays are vectors or matrices")
        }
    }
}
