import FlockData

/// A stage that turns a frame into another (a fitted model adding its predictions, a
/// scaler adding scaled columns): Spark ML's `Transformer`.
public protocol Transformer: PipelineStage {
    /// The frame with this stage's columns added.
    func transform(_ frame: DataFrame) throws -> DataFrame
}

/// A stage that learns a `Transformer` from a frame: Spark ML's `Estimator`.
public protocol Estimator: PipelineStage {
    /// What fitting makes.
    associatedtype Model: Transformer
    /// Learns the model from the frame's rows.
    func fit(_ frame: DataFrame) throws -> Model
}

/// Anything a `Pipeline` can hold: it gives the transformer it stands for once it has seen
/// the frame that reaches it.
public protocol PipelineStage: Sendable {
    /// The transformer for this stage: itself for a transformer, the fitted model for an
    /// estimator.
    func fitted(on frame: DataFrame) throws -> any Transformer
}

extension Transformer {
    /// A transformer needs no fitting.
    public func fitted(on frame: DataFrame) throws -> any Transformer { self }
}

extension Estimator {
    /// An estimator's stage is its fitted model.
    public func fitted(on frame: DataFrame) throws -> any Transformer { try fit(frame) }
}

/// Stages fitted as one (Spark ML's `Pipeline`): each estimator is fitted on the frame as
/// the stages before it left it, and the result is the chain of fitted transformers.
public struct Pipeline: Estimator {
    public let stages: [any PipelineStage]

    /// A pipeline of `stages`, run in order.
    public init(stages: [any PipelineStage]) { self.stages = stages }

    /// Fits the stages in order; a stage's output feeds the next one's fit (the last
    /// stage's output is not computed).
    public func fit(_ frame: DataFrame) throws -> PipelineModel {
        var current = frame
        var fitted: [any Transformer] = []
        for (index, stage) in stages.enumerated() {
            let transformer = try stage.fitted(on: current)
            fitted.append(transformer)
            if index < stages.count - 1 { current = try transformer.transform(current) }
        }
        return PipelineModel(stages: fitted)
    }
}

/// A fitted pipeline: its transformers applied in order.
public struct PipelineModel: Transformer {
    public let stages: [any Transformer]

    /// A chain of fitted transformers (what `Pipeline.fit` makes, or one put together by
    /// hand, e.g. an indexer and the winner of a `CrossValidator`).
    public init(stages: [any Transformer]) { self.stages = stages }

    /// The frame after every stage.
    public func transform(_ frame: DataFrame) throws -> DataFrame {
        try stages.reduce(frame) { try $1.transform($0) }
    }
}
