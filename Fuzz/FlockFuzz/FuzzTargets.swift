import FlockComm
import FlockData
import FlockML
import FlockNN
import FlockRuntime

/// Every decoder of bytes from a peer or a file, by the name the fuzz scripts use.
let fuzzTargets: [String: @Sendable ([UInt8]) -> Void] = [
    "frame-header": CommFuzzing.frameHeader,
    "store-request": CommFuzzing.storeRequest,
    "handshake": CommFuzzing.handshake,
    "task-message": RuntimeFuzzing.taskMessage,
    "actor-message": RuntimeFuzzing.actorMessage,
    "object-message": RuntimeFuzzing.objectMessage,
    "driver-message": RuntimeFuzzing.driverMessage,
    "object": RuntimeFuzzing.object,
    "safetensors": NNFuzzing.safetensors,
    "checkpoint": NNFuzzing.checkpoint,
    "csv": NNFuzzing.csv,
    "column": DataFuzzing.column,
    "table-csv": DataFuzzing.csv,
    "sql": DataFuzzing.sql,
    "parquet": DataFuzzing.parquet,
    "ndjson": DataFuzzing.ndjson,
    "batch": DataFuzzing.batch,
    "model-file": MLFuzzing.modelFile,
    "ml-statistics": MLFuzzing.statistics,
]

/// Valid inputs of every target (`FlockFuzz --write-seeds DIR` writes them as the corpus).
var fuzzSeeds: [String: [[UInt8]]] {
    CommFuzzing.seeds.merging(RuntimeFuzzing.seeds) { $1 }.merging(NNFuzzing.seeds) { $1 }
        .merging(DataFuzzing.seeds) { $1 }.merging(MLFuzzing.seeds) { $1 }
}
