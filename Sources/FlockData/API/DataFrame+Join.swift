extension DataFrame {
    /// Rows of this frame and `other` matched where the `on` columns (present in both)
    /// are equal; the key columns appear once.
    public func join(_ other: DataFrame, on keys: [String], how kind: JoinKind = .inner) throws -> DataFrame {
        try join(other, leftOn: keys, rightOn: keys, how: kind)
    }

    /// Rows of this frame and `other` matched where `leftOn[i]` equals `rightOn[i]` for
    /// every i. Right columns whose names the left has get the suffix `_right` (`_right2`... when
    /// that is taken too).
    /// - Throws: `DataError.unknownColumn` for a missing key, `.invalidOperation` for keys
    ///   whose types cannot be compared, `.invalidPlan` for no keys or unequal key counts.
    public func join(_ other: DataFrame, leftOn: [String], rightOn: [String], how kind: JoinKind = .inner) throws
        -> DataFrame
    {
        guard !leftOn.isEmpty, leftOn.count == rightOn.count else {
            throw DataError.invalidPlan("a join needs as many left keys as right keys, at least one")
        }
        for (leftName, rightName) in zip(leftOn, rightOn) {
            let (leftType, rightType) = (try schema.type(of: leftName), try other.schema.type(of: rightName))
            let comparable =
                leftType == rightType || (leftType.isNumeric && rightType.isNumeric)
                || (leftType.isText && rightType.isText)
            guard comparable else {
                throw DataError.invalidOperation(
                    "cannot join \(leftName) (\(leftType)) with \(rightName) (\(rightType)): the types do not compare")
            }
        }
        var fields = schema.fields
        if kind != .semi && kind != .anti {
            let leftNames = Set(fields.map(\.name))
            var taken = leftNames.union(other.schema.names)
            for field in other.schema.fields where !HashJoin.sharedKey(field.name, leftOn, rightOn) {
                var name = field.name
                if leftNames.contains(name) {
                    name = field.name + "_right"
                    var suffix = 2
                    while taken.contains(name) {
                        name = field.name + "_right\(suffix)"
                        suffix += 1
                    }
                    taken.insert(name)
                }
                fields.append(Schema.Field(name: name, type: field.type))
            }
        }
        let output = Schema(fields)
        try output.checkUnique(in: "join")
        return DataFrame(
            plan: LogicalPlan(
                .join(kind, leftKeys: leftOn, rightKeys: rightOn), inputs: [plan, other.plan], schema: output))
    }
}
