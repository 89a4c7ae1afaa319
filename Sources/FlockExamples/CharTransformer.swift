import FlockNN
import FlockTensor
import Foundation

/// A tiny character-level language model (the third example): token and position
/// embeddings, causal transformer blocks, a linear head; trained with AdamW on random
/// windows of a text file. Its loss must fall well below the unigram baseline (the
/// entropy of the text's character frequencies), which only context can beat.
public enum CharTransformer {
    /// The model.
    public final class Model: Module {
        /// Symbol and position embeddings.
        public let tokens: Embedding, positions: Embedding
        /// The causal transformer blocks.
        public let blocks: [TransformerBlock]
        /// Final normalisation and the projection to symbol logits.
        public let norm: LayerNorm, head: Linear

        /// Creates a model over `vocabulary` symbols and `context` positions.
        public init(vocabulary: Int, context: Int, dimension: Int = 64, heads: Int = 4, layers: Int = 2) {
            tokens = Embedding(vocabulary, dimension)
            positions = Embedding(context, dimension)
            blocks = (0..<layers).map { _ in TransformerBlock(dimension: dimension, heads: heads) }
            norm = LayerNorm([dimension])
            head = Linear(dimension, vocabulary)
        }

        /// [batch, time] int64 symbols -> [batch, time, vocabulary] logits.
        public override func forward(_ input: Variable) throws -> Variable {
            let time = input.shape[1]
            // Invariant: 0..<time is a valid index range.
            let positionIndex = try! Tensor.arange(0, Double(time)).reshaped([1, time])
            var x = try tokens(input) + positions(Variable(positionIndex))
            for block in blocks { x = try block(x) }
            return try head(norm(x))
        }
    }

    /// What a run measured.
    public struct Report: Sendable {
        /// Cross-entropy (nats per character) of the character frequencies.
        public let unigramLoss: Double
        /// Mean training loss of the first and the last 20 steps.
        public let initialLoss: Double, finalLoss: Double
        /// A sample generated greedily from the trained model.
        public let sample: String
    }

    /// Trains on the text at `textPath` (nil: the GPL text carried in the binary) for
    /// `steps` steps of `batch` windows of `context` characters.
    public static func run(
        textPath: String? = nil, steps: Int = 300, batch: Int = 16, context: Int = 32, seed: UInt64 = 0,
        log: Bool = true
    ) throws -> Report {
        GlobalRandom.seed(seed)
        let read = textPath.map { try? String(contentsOfFile: $0, encoding: .utf8) } ?? EmbeddedData.gplText
        guard let text = read, text.count > context + 1 else {
            throw ModuleError.invalidInput(
                module: "CharTransformer",
                reason: "\(textPath ?? "the text") is unreadable or shorter than \(context + 1) characters")
        }
        let characters = Array(text)
        let vocabulary = Array(Set(characters)).sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Int64($0)) })
        // Invariant: every character is in the vocabulary built from the text.
        let symbols = characters.map { index[$0]! }
        var counts = [Double](repeating: 0, count: vocabulary.count)
        for symbol in symbols { counts[Int(symbol)] += 1 }
        let unigram = -counts.reduce(0) {
            $0 + ($1 > 0 ? $1 / Double(symbols.count) * Foundation.log($1 / Double(symbols.count)) : 0)
        }

        let model = Model(vocabulary: vocabulary.count, context: context)
        let optimizer = Adam.adamW(model.parameters(), learningRate: 3e-3, weightDecay: 0.01)
        let schedule = LinearWarmup(
            warmupSteps: 20, then: CosineAnnealing(base: 3e-3, totalSteps: max(steps - 20, 1), minimum: 3e-4))
        var generator = RandomGenerator(seed: seed, stream: 7)
        var losses: [Double] = []
        for step in 0..<steps {
            var inputs: [Int64] = []
            var targets: [Int64] = []
            for _ in 0..<batch {
                let start = Int(generator.nextInt(below: UInt64(symbols.count - context - 1)))
                inputs += symbols[start..<(start + context)]
                targets += symbols[(start + 1)...(start + context)]
            }
            let x = try Tensor(inputs, shape: [batch, context])
            let y = Tensor(targets)
            optimizer.learningRate = schedule.learningRate(at: step)
            optimizer.zeroGrad()
            let logits = try model(Variable(x)).reshaped([batch * context, vocabulary.count])
            let loss = try Loss.crossEntropy(logits, labels: y)
            try loss.backward()
            try clipGradientNorm(model.parameters(), maxNorm: 1)
            try optimizer.step()
            losses.append(loss.value.doubleScalars()[0])
            if log && (step % 50 == 0 || step == steps - 1) {
                print(String(format: "step %4d  loss %.3f  (unigram baseline %.3f)", step, losses.last!, unigram))
            }
        }
        let window = min(20, losses.count)
        return Report(
            unigramLoss: unigram, initialLoss: losses.prefix(window).reduce(0, +) / Double(window),
            finalLoss: losses.suffix(window).reduce(0, +) / Double(window),
            sample: try generate(model, prompt: Array(symbols.prefix(context)), count: 120, context: context).map {
                String(vocabulary[Int($0)])
            }.joined())
    }

    /// Greedy continuation of `prompt` by `count` symbols.
    static func generate(_ model: Model, prompt: [Int64], count: Int, context: Int) throws -> [Int64] {
        model.eval()
        defer { model.train() }
        var sequence = prompt
        for _ in 0..<count {
            let window = Array(sequence.suffix(context))
            let logits = try noGrad { try model(Variable(Tensor(window, shape: [1, window.count]))).value }
            let last = try logits.selected(axis: 1, index: window.count - 1).argmax(axis: 1)
            sequence.append(try last.item(as: Int64.self))
        }
        return Array(sequence.suffix(count))
    }
}
