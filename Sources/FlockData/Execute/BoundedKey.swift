/// A key column whose values have codes below a known bound: categorical codes + 1, bools
/// 1 and 2, integers (and dates, timestamps) minus their minimum + 1, with 0 for null.
/// Several keys pack into one code, key 0 most significant, while the product of their
/// bounds fits: grouping by six columns is then grouping by one integer.
struct BoundedKey {
    /// The key's column in every morsel (categorical ones sharing one `Categories`).
    let columns: [Column]
    /// Every code is below it.
    let bound: Int
    /// Subtracted from integers before the + 1 that leaves 0 for null.
    private let low: Int64

    /// The coding of a key (one column per morsel), when its type has one with a bound
    /// of at most `maximum`.
    init?(_ columns: [Column], _ morsels: Morsels, below maximum: Int) {
        guard let type = columns.first?.type else { return nil }
        switch type {
        case .categorical:
            let shared = Column.sharingCategories(columns)
            // Invariant: categorical columns have categories.
            (self.columns, bound, low) = (shared, shared[0].categories!.values.count + 1, 0)
        case .bool:
            (self.columns, bound, low) = (columns, 3, 0)
        case .int8, .int16, .int32, .int64, .date32, .timestampMicroseconds:
            guard let (low, high) = KeyCodes.integerRange(columns, morsels) else {
                (self.columns, bound, self.low) = (columns, 1, 0)  // Only nulls: all code 0.
                break
            }
            let (span, overflow) = high.subtractingReportingOverflow(low)
            guard !overflow, span < Int64(maximum) - 1 else { return nil }
            (self.columns, bound, self.low) = (columns, Int(span) + 2, low)
        default:
            return nil
        }
        guard bound <= maximum else { return nil }
    }

    /// Writes morsel `m`'s codes into `codes` (one per row): `codes[i] * bound + code`
    /// when `combining` (after the keys before this one), else the code alone.
    func pack<Code: FixedWidthInteger & UnsignedInteger>(
        morsel m: Int, into codes: UnsafeMutableBufferPointer<Code>, combining: Bool
    ) {
        let column = columns[m]
        let factor: Code = combining ? Code(truncatingIfNeeded: bound) : 0
        let validity = column.validity
        func fold<T: BinaryInteger>(_ values: UnsafeBufferPointer<T>) {
            if let validity {
                for i in 0..<codes.count {
                    let code = validity[i] ? Code(truncatingIfNeeded: Int64(values[i]) &- low) &+ 1 : 0
                    codes[i] = (combining ? codes[i] &* factor : 0) &+ code
                }
            } else if combining {
                for i in 0..<codes.count {
                    codes[i] = codes[i] &* factor &+ (Code(truncatingIfNeeded: Int64(values[i]) &- low) &+ 1)
                }
            } else {
                for i in 0..<codes.count { codes[i] = Code(truncatingIfNeeded: Int64(values[i]) &- low) &+ 1 }
            }
        }
        column.values.withUnsafeBytes { raw in
            switch column.type.storageType {
            case .int8: fold(raw.bindMemory(to: Int8.self))
            case .int16: fold(raw.bindMemory(to: Int16.self))
            case .int32: fold(raw.bindMemory(to: Int32.self))
            case .int64: fold(raw.bindMemory(to: Int64.self))
            default:  // bool
                for i in 0..<codes.count {
                    let code: Code = column.isNull(i) ? 0 : (column.boolValue(i) ? 2 : 1)
                    codes[i] = (combining ? codes[i] &* factor : 0) &+ code
                }
            }
        }
    }

    /// The packed codes of `keys[k][m]` (key k, morsel m) for every row, written key by key
    /// into one array, when every key is bounded and the bounds' product fits 64 bits.
    static func packedCodes(_ keys: [[Column]], _ morsels: Morsels) -> KeyCodes? {
        var coders: [BoundedKey] = []
        var bound: UInt64 = 1
        for columns in keys {
            guard let coder = BoundedKey(columns, morsels, below: Int.max / 2) else { return nil }
            let (product, overflow) = bound.multipliedReportingOverflow(by: UInt64(coder.bound))
            guard !overflow else { return nil }
            bound = product
            coders.append(coder)
        }
        guard !coders.isEmpty else { return nil }
        let codes = [UInt64](unsafeUninitializedCapacity: morsels.rowCount) { buffer, initialized in
            Parallel.forEach(morsels.batches.count) { m in
                let range = morsels.range(m)
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[range])
                for (k, coder) in coders.enumerated() { coder.pack(morsel: m, into: slice, combining: k > 0) }
            }
            initialized = morsels.rowCount
        }
        return KeyCodes(codes: codes, bound: bound)
    }
}
