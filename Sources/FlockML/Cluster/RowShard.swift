import FlockData
import FlockRuntime

/// A worker's share of a training set on a cluster: a run of whole blocks of rows
/// (`BlockReduction.blockRows`, the last block of the set possibly short), read from one or
/// more persisted partitions. Shards start on block boundaries, so the blocks a worker
/// computes are exactly the blocks an in-process fit computes, whatever the partitions.
struct RowShard: Codable, Sendable, Hashable {
    /// Rows `rows` of one partition.
    struct Piece: Codable, Sendable, Hashable {
        let object: ObjectRef<[UInt8]>
        let rows: Range<Int>
    }

    let pieces: [Piece]
    let featureColumns: [String]
    let labelColumn: String?
    /// The shard's first row in the training set.
    let firstRow: Int

    /// The shard's rows, read from the partitions (their columns decoded once per worker
    /// process and kept, `PartitionedTable.read`) and checked as an in-process fit checks
    /// them.
    /// - Throws: `MLError.invalidData` for missing, non-numeric, null or non-finite values.
    func load() async throws -> TrainingRows {
        var features: [FeatureMatrix] = []
        var labels: [Double] = []
        for (batch, row) in try await batches() {
            features.append(try FeatureMatrix(batch, columns: featureColumns, firstRow: row))
            if let labelColumn {
                labels += try FeatureMatrix(batch, columns: [labelColumn], firstRow: row).values
            }
        }
        return TrainingRows(features: FeatureMatrix(concatenating: features), labels: labels, firstRow: firstRow)
    }

    /// Each piece's rows of the feature and label columns, with the row number of its first
    /// row in the training set (the columns decoded once per worker process and kept,
    /// `PartitionedTable.read`).
    /// - Throws: `MLError.invalidData` with FlockData's reason for a column it cannot read.
    func batches() async throws -> [(batch: RecordBatch, firstRow: Int)] {
        let columns = featureColumns + (labelColumn.map { [$0] } ?? [])
        var batches: [(batch: RecordBatch, firstRow: Int)] = []
        var row = firstRow
        for piece in pieces {
            do {
                batches.append((try await PartitionedTable.read(piece.object, columns: columns).slice(piece.rows), row))
            } catch let error as DataError {
                throw MLError.invalidData("\(error)")
            }
            row += piece.rows.count
        }
        return batches
    }

    /// Shards of the rows of partitions holding `counts` rows each: one per partition in
    /// which a block starts, holding the blocks that start in it.
    static func cut(
        _ objects: [ObjectRef<[UInt8]>], counts: [Int], featureColumns: [String], labelColumn: String?
    ) -> [RowShard] {
        let total = counts.reduce(0, +)
        var starts: [Int] = []  // Each partition's first row.
        var sum = 0
        for count in counts {
            starts.append(sum)
            sum += count
        }
        let block = BlockReduction.blockRows
        var shards: [RowShard] = []
        for (p, count) in counts.enumerated() where count > 0 {
            let first = (starts[p] + block - 1) / block * block  // The first block start in p.
            guard first < starts[p] + count else { continue }
            let afterLast = (starts[p] + count - 1) / block * block + block
            let end = Swift.min(total, afterLast)
            var pieces: [Piece] = []
            for q in p..<counts.count where starts[q] < end && starts[q] + counts[q] > first {
                let lower = Swift.max(first, starts[q]) - starts[q]
                let upper = Swift.min(end, starts[q] + counts[q]) - starts[q]
                pieces.append(Piece(object: objects[q], rows: lower..<upper))
            }
            shards.append(
                RowShard(pieces: pieces, featureColumns: featureColumns, labelColumn: labelColumn, firstRow: first))
        }
        return shards
    }

    /// The rows of consecutive `shards` cut again into at most `groups` shards whose
    /// sizes differ by at most a block (each still whole blocks from a block boundary): for
    /// a fit whose per-shard cost is a call per step, one shard per worker, so that no
    /// worker holds up every step. Whole shards would not do: partitions of 524,288 and
    /// 275,712 rows made one worker's splits take 1.7 times the other's.
    static func grouped(_ shards: [RowShard], into groups: Int) -> [RowShard] {
        guard groups > 0, shards.count > groups, let template = shards.first else { return shards }
        // Every piece with the number of its first row in the training set.
        var pieces: [(piece: Piece, firstRow: Int)] = []
        for shard in shards {
            var row = shard.firstRow
            for piece in shard.pieces {
                pieces.append((piece, row))
                row += piece.rows.count
            }
        }
        let start = template.firstRow
        let end = pieces.last.map { $0.firstRow + $0.piece.rows.count } ?? start
        let block = BlockReduction.blockRows
        let blocks = (end - start + block - 1) / block
        var result: [RowShard] = []
        for g in 0..<groups {
            let lower = start + blocks * g / groups * block
            let upper = Swift.min(end, start + blocks * (g + 1) / groups * block)
            guard lower < upper else { continue }
            var taken: [Piece] = []
            for (piece, first) in pieces where first < upper && first + piece.rows.count > lower {
                let rows =
                    piece.rows.lowerBound + Swift.max(0, lower - first)..<piece.rows.lowerBound
                    + Swift.min(piece.rows.count, upper - first)
                // A partition that two shards shared is one piece again.
                if let last = taken.last, last.object == piece.object, last.rows.upperBound == rows.lowerBound {
                    taken[taken.count - 1] = Piece(object: piece.object, rows: last.rows.lowerBound..<rows.upperBound)
                } else {
                    taken.append(Piece(object: piece.object, rows: rows))
                }
            }
            result.append(
                RowShard(
                    pieces: taken, featureColumns: template.featureColumns, labelColumn: template.labelColumn,
                    firstRow: lower))
        }
        return result
    }
}
