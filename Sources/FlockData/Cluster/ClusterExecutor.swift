import FlockRuntime

/// Runs a logical plan on a cluster: in-memory scans become partitions in the object
/// store, Parquet scans tasks that read their share of the row groups from the files;
/// filters and projections ride along with the partition they read (no task of
/// their own); an aggregation or a join is a hash shuffle (map tasks write one piece per
/// reducer into the store, reduce tasks read their piece of every map output); a join
/// whose right side is small is broadcast instead: known from the scan's size, or, where
/// no bound is known (an aggregate's output), measured by making that side first. What needs all rows in
/// one place (sort, windows, limit) gathers them into the driver and runs in-process;
/// a limit first keeps each partition's first (or top, under a sort) rows.
///
/// The whole graph of tasks is submitted before anything is awaited, so the runtime
/// overlaps stages, and a task lost with its worker runs again (the runtime's retries and
/// lineage): the answer does not depend on which worker ran what. Rows keep their order
/// through a shuffle (pieces are read in map order, rows in input order), so every group
/// folds its values in the same order as in-process, and float sums agree bit for bit.
struct ClusterExecutor {
    let cluster: Cluster
    /// Pieces per shuffle (reduce tasks).
    let reducers: Int
    /// Partitions an in-memory scan is cut into.
    let scanPartitions: Int
    /// A join's right side known to hold at most this many rows is sent whole to every
    /// left partition instead of shuffling both sides.
    let broadcastRows: Int
    /// Where the choices made from measured sizes are written (nil: not kept).
    var decisions: AdaptiveDecisions? = nil

    /// One partition of a distributed result: the inputs of the task that makes it and
    /// the fragment it runs over them.
    struct Partition: Sendable {
        var inputs: [DataStageTask.Input]
        var fragment: PlanFragment

        /// The partition with `change` applied to its fragment.
        func with(_ change: (PlanFragment) -> PlanFragment) -> Partition {
            Partition(inputs: inputs, fragment: change(fragment))
        }

        /// The partition projected to `exprs` over `input`'s columns: when it reads a
        /// stored batch as it is, the task then decodes only the columns `exprs` read (at
        /// least one, so rows still count).
        func projected(_ exprs: [Expr], input: Schema) -> Partition {
            var result = with { .project($0, exprs) }
            guard case .input(0) = fragment, inputs.count == 1, inputs[0].piece == nil, inputs[0].scan == nil,
                inputs[0].columns == nil
            else { return result }
            let read = exprs.reduce(into: Set<String>()) { $0.formUnion($1.columnNames) }
            let kept = input.names.filter(read.contains)
            result.inputs[0].columns = kept.isEmpty ? Array(input.names.prefix(1)) : kept
            return result
        }
    }

    /// Where a step's rows are.
    enum Rows {
        /// Spread over the cluster; `rowBound`: at most this many rows, when known.
        case distributed([Partition], rowBound: Int?)
        /// Gathered in this process.
        case local(DataFrame)
    }

    /// The rows of `plan`, as one batch in this process: distributed rows are decoded
    /// straight into the whole batch from the store's memory (one copy of each column).
    func collect(_ plan: LogicalPlan) async throws -> RecordBatch {
        switch try await rows(of: plan) {
        case .local(let frame): return try frame.collect()
        case .distributed(let parts, _):
            let objects = try submit(parts, output: .batch)
            return try await ObjectRef.withUnsafeElements(of: objects) { (buffers: [UnsafeBufferPointer<UInt8>]) in
                try BatchCoding.decode(
                    concatenating: buffers.map(UnsafeRawBufferPointer.init), categories: CategoryInterner())
            }
        }
    }

    /// Where the rows of `plan` are once its tasks are submitted.
    func rows(of plan: LogicalPlan) async throws -> Rows {
        switch plan.step {
        case .scan(_, let batches):
            return .distributed(try put(batches, schema: plan.schema), rowBound: batches.reduce(0) { $0 + $1.rowCount })
        case .parquet(let scan):
            // Footers here; the pages in the workers, each task reading its share of the
            // row groups that the statistics keep.
            let (shares, rows) = try scan.shares(scanPartitions)
            guard !shares.isEmpty else {
                return .distributed(try put([try RecordBatch.empty(plan.schema)], schema: plan.schema), rowBound: 0)
            }
            decisions?.record("parquet scan: \(shares.count) tasks read \(rows) rows from the files")
            let parts = shares.map { Partition(inputs: [.init(objects: [], scan: $0)], fragment: .input(0)) }
            return .distributed(parts, rowBound: rows)
        case .partitions(_, let table):
            let parts = table.partitions.map {
                Partition(inputs: [.init(objects: [$0], persisted: true)], fragment: .input(0))
            }
            return .distributed(parts, rowBound: table.rowCount)
        case .filter(let predicate):
            switch try await rows(of: plan.inputs[0]) {
            case .distributed(let parts, let bound):
                return .distributed(parts.map { $0.with { .filter($0, predicate) } }, rowBound: bound)
            case .local(let frame): return .local(try frame.filter(predicate))
            }
        case .project(let exprs):
            let input = try await rows(of: plan.inputs[0])
            guard case .distributed(let parts, let bound) = input else {
                return .local(try await gathered(input).select(exprs))
            }
            if !exprs.contains(where: \.containsWindow) {
                return .distributed(
                    parts.map { $0.projected(exprs, input: plan.inputs[0].schema) }, rowBound: bound)
            }
            guard let partitionBy = Self.sharedPartitioning(exprs) else {
                return .local(try await gathered(input).select(exprs))
            }
            return .distributed(
                try shuffledWindows(parts, exprs, partitionBy: partitionBy, input: plan.inputs[0].schema),
                rowBound: bound)
        case .aggregate(let keys, let aggregates):
            let input = try await rows(of: plan.inputs[0])
            guard case .distributed(let parts, _) = input else {
                return .local(try await gathered(input).groupBy(keys).agg(aggregates))
            }
            return .distributed(
                try shuffledAggregate(parts, keys: keys, aggregates: aggregates, input: plan.inputs[0].schema),
                rowBound: nil)
        case .sort(let keys):
            return .local(try await gathered(try await rows(of: plan.inputs[0])).sort(keys))
        case .limit(let count):
            return .local(try await limited(plan.inputs[0], count))
        case .join(let kind, let leftKeys, let rightKeys):
            let (left, right) = (try await rows(of: plan.inputs[0]), try await rows(of: plan.inputs[1]))
            guard case .distributed(let leftParts, _) = left, case .distributed(let rightParts, let rightBound) = right
            else {
                return .local(
                    try await gathered(left).join(
                        try await gathered(right), leftOn: leftKeys, rightOn: rightKeys, how: kind))
            }
            let join = Join(
                kind: kind, leftKeys: leftKeys, rightKeys: rightKeys, left: plan.inputs[0].schema,
                right: plan.inputs[1].schema)
            guard [.inner, .left, .semi, .anti].contains(kind) else {
                return .distributed(try shuffled(leftParts, rightParts, join), rowBound: nil)
            }
            if let rightBound {
                guard rightBound <= broadcastRows else {
                    return .distributed(try shuffled(leftParts, rightParts, join), rowBound: nil)
                }
                decisions?.record("\(kind) join: right side at most \(rightBound) rows -> broadcast")
                return .distributed(
                    try broadcast(try submit(rightParts, output: .batch), to: leftParts, join), rowBound: nil)
            }
            // The right side's size is unknown until it runs (an aggregate, a join): make
            // it, count its rows, then choose (Spark's adaptive execution).
            let made = try submit(rightParts, output: .batch)
            let measured = try await rowCount(of: made, schema: plan.inputs[1].schema)
            if measured <= broadcastRows {
                decisions?.record("\(kind) join: right side measured \(measured) rows -> broadcast")
                return .distributed(try broadcast(made, to: leftParts, join), rowBound: nil)
            }
            decisions?.record("\(kind) join: right side measured \(measured) rows -> shuffle both sides")
            let stored = made.map { Partition(inputs: [.init(objects: [$0])], fragment: .input(0)) }
            return .distributed(try shuffled(leftParts, stored, join), rowBound: nil)
        case .union:
            let (left, right) = (try await rows(of: plan.inputs[0]), try await rows(of: plan.inputs[1]))
            if case .distributed(let leftParts, let leftBound) = left,
                case .distributed(let rightParts, let rightBound) = right
            {
                let bound = leftBound.flatMap { l in rightBound.map { l + $0 } }
                return .distributed(leftParts + rightParts, rowBound: bound)
            }
            return .local(try await gathered(left).union(try await gathered(right)))
        }
    }

    /// The first `count` rows of `plan`: each partition keeps its first `count` (its top
    /// `count` when `plan` is a sort) before they are gathered.
    private func limited(_ plan: LogicalPlan, _ count: Int) async throws -> DataFrame {
        var source = plan
        var sortKeys: [SortKey]?
        if case .sort(let keys) = plan.step {
            sortKeys = keys
            source = plan.inputs[0]
        }
        var input = try await rows(of: source)
        if case .distributed(let parts, let bound) = input {
            let kept = parts.map { part in
                part.with { fragment in .limit(sortKeys.map { .sort(fragment, $0) } ?? fragment, count) }
            }
            input = .distributed(kept, rowBound: bound)
        }
        var frame = try await gathered(input)
        if let sortKeys { frame = try frame.sort(sortKeys) }
        return try frame.limit(count)
    }

    /// The rows of `rows` in this process.
    func gathered(_ rows: Rows) async throws -> DataFrame {
        switch rows {
        case .local(let frame): return frame
        case .distributed(let parts, _):
            // Decoded in place from the store's memory (no copy of the bytes first).
            let interner = CategoryInterner()
            var batches: [RecordBatch] = []
            for object in try submit(parts, output: .batch) {
                batches.append(
                    try await object.withUnsafeElements { (bytes: UnsafeBufferPointer<UInt8>) in
                        try BatchCoding.decode(UnsafeRawBufferPointer(bytes), categories: interner)
                    })
            }
            return try DataFrame(batches: batches, name: "gathered")
        }
    }

    /// How many rows the stored batches `objects` hold, counted by a task per object
    /// that decodes only one column (only the counts come back here).
    private func rowCount(of objects: [ObjectRef<[UInt8]>], schema: Schema) async throws -> Int {
        guard let column = schema.names.first else { return 0 }
        let counts = try objects.map { object in
            try cluster.submit(
                DataStageTask(
                    inputs: [.init(objects: [object], columns: [column])],
                    fragment: .aggregate(.input(0), keys: [], aggregates: [count().alias("n")]), output: .batch)
            ).asBytes
        }
        var total = 0
        for bytes in try await cluster.get(counts) {
            let batch = try bytes.withUnsafeBytes { try BatchCoding.decode($0, categories: CategoryInterner()) }
            guard batch.rowCount == 1, case .int(let n)? = try batch.column("n")[0] else {
                throw DataError.malformedBatch("a row count task answered \(batch.rowCount) rows")
            }
            total += Int(n)
        }
        return total
    }

    /// One task per partition, each making `output`; a partition that is one stored
    /// batch as it is needs no task.
    func submit(_ parts: [Partition], output: DataStageTask.Form) throws -> [ObjectRef<[UInt8]>] {
        try parts.map { part in
            if case .batch = output, case .input(0) = part.fragment, part.inputs.count == 1,
                part.inputs[0].objects.count == 1, part.inputs[0].piece == nil, part.inputs[0].columns == nil
            {
                return part.inputs[0].objects[0]
            }
            return try cluster.submit(DataStageTask(inputs: part.inputs, fragment: part.fragment, output: output))
                .asBytes
        }
    }

    /// `batches` cut into `scanPartitions` runs of consecutive rows, each stored as one
    /// encoded batch.
    private func put(_ batches: [RecordBatch], schema: Schema) throws -> [Partition] {
        let count = max(1, min(scanPartitions, batches.count))
        let total = batches.reduce(0) { $0 + $1.rowCount }
        var groups = [[RecordBatch]](repeating: [], count: count)
        var seen = 0
        for batch in batches {
            groups[min(count - 1, total == 0 ? 0 : seen * count / total)].append(batch)
            seen += batch.rowCount
        }
        return try groups.filter { !$0.isEmpty || count == 1 }.map { group in
            let object = try cluster.put(BatchCoding.encode(try RecordBatch.concatenate(group, schema: schema)))
            return Partition(inputs: [.init(objects: [object])], fragment: .input(0))
        }
    }

    /// Map tasks that keep the columns the aggregation reads (and aggregate their own rows
    /// first when the aggregates split: `PartialAggregation`) and split rows by key into
    /// one piece per reducer; reducers that aggregate their pieces.
    private func shuffledAggregate(_ parts: [Partition], keys: [Expr], aggregates: [Expr], input: Schema) throws
        -> [Partition]
    {
        let shuffle = ShuffleKeys(keys)
        let (keyColumns, reduceKeys) = (shuffle.names, shuffle.reduceKeys)
        let kept = shuffle.mapProjection(input: input, reading: aggregates)
        let pieces = keys.isEmpty ? 1 : reducers
        let split = PartialAggregation(aggregates)
        let keptSchema = Schema(try kept.map { Schema.Field(name: $0.name, type: try $0.type(in: input)) })
        let rowWise = try split?.rowWise(keptSchema)
        let mapped = try submit(
            parts.map { part in
                part.projected(kept, input: input).with { projected in
                    guard let split, let rowWise else { return projected }
                    return .partialAggregate(
                        projected, keys: keyColumns.map(col), partials: split.partials, rowWise: rowWise)
                }
            },
            output: .pieces(keys: keyColumns, asFloat: [], count: pieces))
        return (0..<pieces).map { piece in
            Partition(
                inputs: [.init(objects: mapped, piece: piece)],
                fragment: .aggregate(.input(0), keys: reduceKeys, aggregates: split?.finals ?? aggregates))
        }
    }

    /// The partition keys that every window in `exprs` shares, when there are some.
    static func sharedPartitioning(_ exprs: [Expr]) -> [Expr]? {
        let windows = Self.windows(in: exprs).map(\.window)
        guard let first = windows.first?.partitionBy, !first.isEmpty else { return nil }
        let key = first.map(\.description)
        return windows.allSatisfy { $0.partitionBy.map(\.description) == key } ? first : nil
    }

    /// The window functions in `exprs` (nested ones included), in order.
    static func windows(in exprs: [Expr]) -> [(function: WindowFunction, window: Window)] {
        exprs.flatMap(\.subexpressions).compactMap { expr in
            if case .window(let function, let window) = expr { return (function, window) }
            return nil
        }
    }

    /// Map tasks that split rows by the windows' partition keys; reducers that compute
    /// the windows over whole partitions (rows keep their order, so ties stay in order).
    private func shuffledWindows(_ parts: [Partition], _ exprs: [Expr], partitionBy: [Expr], input: Schema) throws
        -> [Partition]
    {
        let shuffle = ShuffleKeys(partitionBy)
        let keyColumns = shuffle.names
        let kept = shuffle.mapProjection(input: input, reading: exprs)
        let limit = Self.localLimit(exprs, keptNames: kept.map(\.name))
        let mapped = try submit(
            parts.map { part in
                let projected = part.projected(kept, input: input)
                return limit.map { limit in projected.with(limit) } ?? projected
            },
            output: .pieces(keys: keyColumns, asFloat: [], count: reducers))
        return (0..<reducers).map { piece in
            Partition(inputs: [.init(objects: mapped, piece: piece)], fragment: .project(.input(0), exprs))
        }
    }

    /// When `exprs` hold one window, a `row_number()` that only its partitions' first k
    /// rows pass (`Window.topRows`): a step for the map side that keeps each map task's own
    /// first k rows per partition. The first k of a whole partition are among the first k
    /// of the task that holds them (rows keep their order through the shuffle, so ties
    /// break alike), so the reducers number those rows as they would all rows, and the
    /// filter above drops the rest; the shuffle carries k rows per partition and task.
    static func localLimit(_ exprs: [Expr], keptNames: [String]) -> ((PlanFragment) -> PlanFragment)? {
        let windows = Self.windows(in: exprs)
        guard windows.count == 1, case .rowNumber = windows[0].function, let k = windows[0].window.topRows else {
            return nil
        }
        let number = "__local_row_number"
        let ranked = keptNames.map(col) + [Expr.window(.rowNumber, windows[0].window).alias(number)]
        return { fragment in
            .project(.filter(.project(fragment, ranked), col(number) <= lit(k)), keptNames.map(col))
        }
    }

    /// A join step's keys and the schemas of its sides.
    struct Join {
        let kind: JoinKind
        let leftKeys: [String]
        let rightKeys: [String]
        let left: Schema
        let right: Schema

        /// Key pairs of an integer and a float compare as floats, so both hash as floats.
        var floatKeys: (left: [String], right: [String]) {
            var result: (left: [String], right: [String]) = ([], [])
            for (leftName, rightName) in zip(leftKeys, rightKeys) {
                let types = [try? left.type(of: leftName), try? right.type(of: rightName)]
                if types[0] != types[1], types.contains(where: { $0 == .float32 || $0 == .float64 }) {
                    result.left.append(leftName)
                    result.right.append(rightName)
                }
            }
            return result
        }

        func fragment(_ left: PlanFragment, _ right: PlanFragment) -> PlanFragment {
            .join(left, right, kind, leftKeys: leftKeys, rightKeys: rightKeys)
        }
    }

    /// Both sides split by key into one piece per reducer; reducer r joins the r-th
    /// pieces.
    private func shuffled(_ left: [Partition], _ right: [Partition], _ join: Join) throws -> [Partition] {
        let floats = join.floatKeys
        let leftPieces = try submit(
            left, output: .pieces(keys: join.leftKeys, asFloat: floats.left, count: reducers))
        let rightPieces = try submit(
            right, output: .pieces(keys: join.rightKeys, asFloat: floats.right, count: reducers))
        return (0..<reducers).map { piece in
            Partition(
                inputs: [.init(objects: leftPieces, piece: piece), .init(objects: rightPieces, piece: piece)],
                fragment: join.fragment(.input(0), .input(1)))
        }
    }

    /// The right side, made once (`whole`: its stored batches), read whole by every left
    /// partition's join.
    private func broadcast(_ whole: [ObjectRef<[UInt8]>], to left: [Partition], _ join: Join) throws -> [Partition] {
        left.map { part in
            Partition(
                inputs: part.inputs + [.init(objects: whole)],
                fragment: join.fragment(part.fragment, .input(part.inputs.count)))
        }
    }
}
