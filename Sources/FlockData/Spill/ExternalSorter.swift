/// Sorting too large for the memory limit: the input cut into runs of about `runBytes`,
/// each sorted in memory (`Sorter`) and written to disk in chunks, then the runs merged:
/// every output row is the smallest head among the runs, ties going to the earlier run, so
/// the sort stays stable and the result equals the in-memory sort row for row. The merge
/// reads one chunk per run at a time; an output batch is cut when it is full or when a
/// run's chunk runs out (its rows are gathered from the chunks then in memory).
enum ExternalSorter {
    static func run(_ keys: [SortKey], input: Morsels, schema: Schema, runBytes: Int, policy: SpillPolicy) throws
        -> Morsels
    {
        let runs = try sortedRuns(keys, input: input, schema: schema, runBytes: runBytes, policy: policy)
        let interner = CategoryInterner()
        var heads = try runs.map { try RunHead(file: $0, keys: keys, interner: interner) }
        var output: [RecordBatch] = []
        var picks: [(run: Int, row: Int)] = []
        func flush() throws {
            guard !picks.isEmpty else { return }
            // Every chunk a pick came from is still loaded: gather from their concatenation.
            var offsets = [Int](repeating: 0, count: heads.count)
            var total = 0
            for (index, head) in heads.enumerated() {
                offsets[index] = total
                total += head.chunk.rowCount
            }
            let whole = try RecordBatch.concatenate(heads.map(\.chunk), schema: schema)
            output.append(whole.gather(picks.map { Int32(offsets[$0.run] + $0.row) }))
            picks.removeAll(keepingCapacity: true)
        }
        while true {
            var best: Int?
            for index in heads.indices where !heads[index].isDone {
                guard let current = best else {
                    best = index
                    continue
                }
                if heads[index].orders(before: heads[current], keys: keys) { best = index }
            }
            guard let run = best else { break }
            picks.append((run, heads[run].row))
            if heads[run].row + 1 == heads[run].chunk.rowCount || picks.count == Executor.morselRows {
                try flush()
            }
            try heads[run].advance()
        }
        try flush()
        return Morsels(output.isEmpty ? [try RecordBatch.empty(schema)] : output)
    }

    /// The input's morsels grouped into runs of about `runBytes`, each sorted and written
    /// to a spill file in chunks of `Executor.morselRows` rows.
    private static func sortedRuns(
        _ keys: [SortKey], input: Morsels, schema: Schema, runBytes: Int, policy: SpillPolicy
    ) throws -> [SpillFile] {
        var runs: [SpillFile] = []
        var pending: [RecordBatch] = []
        var pendingBytes = 0
        func writeRun() throws {
            guard !pending.isEmpty else { return }
            let whole = try RecordBatch.concatenate(pending, schema: schema)
            let sorted = whole.gather(try Sorter.permutation(of: whole, by: keys))
            let file = try SpillFile(policy)
            for start in stride(from: 0, to: sorted.rowCount, by: Executor.morselRows) {
                try file.append(sorted.slice(start..<min(start + Executor.morselRows, sorted.rowCount)))
            }
            runs.append(file)
            pending = []
            pendingBytes = 0
        }
        for batch in input.batches where batch.rowCount > 0 {
            pending.append(batch)
            pendingBytes += batch.byteCount
            if pendingBytes >= runBytes { try writeRun() }
        }
        try writeRun()
        return runs
    }

    /// A run being merged: its loaded chunk, that chunk's key columns, and the next row.
    private struct RunHead {
        let file: SpillFile
        let interner: CategoryInterner
        let keys: [SortKey]
        var chunkIndex = 0
        var chunk: RecordBatch
        var keyColumns: [Column]
        var row = 0

        init(file: SpillFile, keys: [SortKey], interner: CategoryInterner) throws {
            self.file = file
            self.keys = keys
            self.interner = interner
            let chunk = try file.batch(0, categories: interner)
            self.chunk = chunk
            keyColumns = try keys.map { try Evaluator.evaluate($0.expr, chunk) }
        }

        var isDone: Bool { chunkIndex == file.batchCount }

        /// Whether this run's next row sorts strictly before `other`'s.
        func orders(before other: RunHead, keys: [SortKey]) -> Bool {
            for (index, key) in keys.enumerated() {
                let order = Sorter.compare(keyColumns[index], row, other.keyColumns[index], other.row, key)
                if order != 0 { return order < 0 }
            }
            return false
        }

        /// Moves to the next row, loading the next chunk when this one is used up.
        mutating func advance() throws {
            row += 1
            guard row == chunk.rowCount else { return }
            chunkIndex += 1
            row = 0
            guard !isDone else { return }
            let chunk = try file.batch(chunkIndex, categories: interner)
            self.chunk = chunk
            keyColumns = try keys.map { try Evaluator.evaluate($0.expr, chunk) }
        }
    }
}
