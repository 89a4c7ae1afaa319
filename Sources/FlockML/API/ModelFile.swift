import FlockNN
import Foundation

/// A fitted model that `ModelFile` can save and load.
public protocol SavableModel: Transformer, Codable {
    /// The name the file records, so a load of the wrong type fails clearly.
    static var modelType: String { get }
    /// Checks what decoding alone cannot (that arrays fit together); a load fails with the
    /// problem this throws.
    func validate() throws
}

extension SavableModel {
    /// Nothing beyond decoding to check.
    public func validate() throws {}
}

extension LinearRegressionModel: SavableModel { public static let modelType = "LinearRegressionModel" }
extension LogisticRegressionModel: SavableModel { public static let modelType = "LogisticRegressionModel" }
extension KMeansModel: SavableModel { public static let modelType = "KMeansModel" }
extension StandardScalerModel: SavableModel { public static let modelType = "StandardScalerModel" }
extension GBTClassificationModel: SavableModel {
    public static let modelType = "GBTClassificationModel"
    /// Every tree well formed over the model's features.
    public func validate() throws { try ensemble.validate(features: featureColumns.count) }
}
extension GBTRegressionModel: SavableModel {
    public static let modelType = "GBTRegressionModel"
    /// Every tree well formed over the model's features.
    public func validate() throws { try ensemble.validate(features: featureColumns.count) }
}

/// Fitted models as files: safetensors files (Hugging Face's format; Python's
/// `safetensors.numpy.load_file` reads the arrays) whose `flock-ml-model` metadata is the
/// model as JSON (a format name, a version, the model's type and its fields) with each
/// numeric array moved into a tensor (`ModelArrays`): exact float64s and int64s, and a
/// CRC-32 of the data checked on load. A file is written to a temporary name beside the
/// target and renamed over it, so a crash mid-save leaves the old file or none, never
/// half of one. A `PipelineModel` of savable stages saves as the list of its stages.
/// Files of the first format (all JSON) still load.
///
///     try ModelFile.save(model, to: "models/price.safetensors")
///     let model = try ModelFile.load(LinearRegressionModel.self, from: "models/price.safetensors")
///     let pipeline = try ModelFile.loadPipeline(from: "models/pipeline.safetensors")
public enum ModelFile {
    /// The format name and version files carry.
    static let format = "flock-ml-model"
    static let version = 1
    /// The types a pipeline's stages may have.
    static let stageTypes: [any SavableModel.Type] = [
        LinearRegressionModel.self, LogisticRegressionModel.self, KMeansModel.self, StandardScalerModel.self,
        StringIndexerModel.self, MinMaxScalerModel.self, GBTClassificationModel.self, GBTRegressionModel.self,
        Bucketizer.self, ImputerModel.self, NaiveBayesModel.self,
        PCAModel.self, GaussianMixtureModel.self, RandomForestClassificationModel.self,
        RandomForestRegressionModel.self, LinearSVCModel.self, OneHotEncoderModel.self, PolynomialExpansion.self,
        ALSModel.self, OneVsRestModel<GBTClassificationModel>.self,
        OneVsRestModel<RandomForestClassificationModel>.self,
        OneVsRestModel<LinearSVCModel>.self, Tokenizer.self, HashingTF.self, IDFModel.self,
    ]

    private struct Envelope<Model: Codable>: Codable {
        let format: String
        let version: Int
        let type: String
        let model: Model
    }

    private struct Header: Codable {
        let format: String
        let version: Int
        let type: String
    }

    /// The metadata key under which a file holds the model's JSON.
    static let metadataKey = "flock-ml-model"

    /// Saves `model` at `path` atomically.
    /// - Throws: `MLError.invalidModelFile` when the file cannot be written.
    public static func save<Model: SavableModel>(_ model: Model, to path: String) throws {
        try write(try JSONTree.parse(Array(try encoded(model))), to: path)
    }

    /// Saves a pipeline of savable stages at `path` atomically.
    /// - Throws: `MLError.invalidParameter` for a stage that cannot be saved, or
    ///   `MLError.invalidModelFile` when the file cannot be written.
    public static func save(_ pipeline: PipelineModel, to path: String) throws {
        let stages = try pipeline.stages.map { stage -> JSONTree in
            guard let savable = stage as? any SavableModel else {
                throw MLError.invalidParameter(
                    name: "stages", value: "\(type(of: stage))", allowed: "fitted models that ModelFile can save")
            }
            return try JSONTree.parse(Array(try encoded(savable)))
        }
        try write(
            .object([
                ("format", .string(format)), ("model", .array(stages)), ("type", .string("PipelineModel")),
                ("version", .number("\(version)")),
            ]), to: path)
    }

    /// The model of type `Model` saved at `path`.
    /// - Throws: `MLError.invalidModelFile` naming the path and the problem.
    public static func load<Model: SavableModel>(_: Model.Type, from path: String) throws -> Model {
        try decode(Model.self, from: try envelope(try read(path), source: path), source: path)
    }

    /// The pipeline saved at `path`.
    /// - Throws: `MLError.invalidModelFile` naming the path and the problem.
    public static func loadPipeline(from path: String) throws -> PipelineModel {
        try decodePipeline(try envelope(try read(path), source: path), source: path)
    }

    /// The model's JSON in a file's bytes: the metadata of a safetensors file with its
    /// arrays put back, or the whole of a file of the first format (JSON, which starts with
    /// a brace where a safetensors file has its header length).
    /// - Throws: `MLError.invalidModelFile` for a damaged safetensors file.
    static func envelope(_ bytes: Data, source: String) throws -> Data {
        guard bytes.count > 8, bytes[bytes.startIndex + 8] == UInt8(ascii: "{"),
            bytes.first != UInt8(ascii: "{")
        else { return bytes }
        do {
            let (tensors, metadata) = try Safetensors.decode(bytes, path: source)
            guard let json = metadata[metadataKey] else {
                throw MLError.invalidData("its metadata has no \"\(metadataKey)\" entry")
            }
            return Data(try ModelArrays.join(json, tensors: tensors).utf8)
        } catch let error as MLError {
            throw MLError.invalidModelFile(source, "not a FlockML model file: \(error)")
        } catch {
            throw MLError.invalidModelFile(source, "is damaged: \(error)")
        }
    }

    /// `bytes` (a saved model) as a `Model`; `source` names them in errors.
    static func decode<Model: SavableModel>(_: Model.Type, from bytes: Data, source: String) throws -> Model {
        let header = try self.header(bytes, source: source)
        guard header.type == Model.modelType else {
            throw MLError.invalidModelFile(source, "it holds a \(header.type), not a \(Model.modelType)")
        }
        let model: Model
        do {
            model = try decoder.decode(Envelope<Model>.self, from: bytes).model
        } catch {
            throw MLError.invalidModelFile(source, "its \(header.type) fields do not read: \(error)")
        }
        do {
            try model.validate()
        } catch {
            throw MLError.invalidModelFile(source, "its \(header.type) does not hold together: \(error)")
        }
        return model
    }

    /// `bytes` (a saved pipeline) as a `PipelineModel`.
    static func decodePipeline(_ bytes: Data, source: String) throws -> PipelineModel {
        let header = try self.header(bytes, source: source)
        guard header.type == "PipelineModel" else {
            throw MLError.invalidModelFile(source, "it holds a \(header.type), not a PipelineModel")
        }
        let stages: [Data]
        if case .object(let members)? = try? JSONTree.parse(Array(bytes)),
            case .array(let list)? = members.first(where: { $0.key == "model" })?.value,
            list.allSatisfy({ if case .object = $0 { true } else { false } })
        {
            stages = list.map { Data($0.text.utf8) }
        } else if let strings = try? decoder.decode(Envelope<[String]>.self, from: bytes).model {
            stages = strings.map { Data($0.utf8) }  // The first format: each stage's JSON as a string.
        } else {
            throw MLError.invalidModelFile(source, "its stages do not read as a list")
        }
        return PipelineModel(
            stages: try stages.enumerated().map { index, stageBytes in
                let stageSource = "\(source), stage \(index)"
                let type = try self.header(stageBytes, source: stageSource).type
                guard let stageType = stageTypes.first(where: { $0.modelType == type }) else {
                    throw MLError.invalidModelFile(stageSource, "unknown model type \"\(type)\"")
                }
                return try decode(stageType, from: stageBytes, source: stageSource)
            })
    }

    private static func header(_ bytes: Data, source: String) throws -> Header {
        guard let header = try? decoder.decode(Header.self, from: bytes), header.format == format else {
            throw MLError.invalidModelFile(source, "not a FlockML model file (no \"\(format)\" header)")
        }
        guard header.version == version else {
            throw MLError.invalidModelFile(source, "format version \(header.version); this build reads \(version)")
        }
        return header
    }

    /// ±∞ and NaN, which JSON numbers cannot hold (a bucketizer's outer splits), as strings.
    private static let infinity = "Infinity"
    private static let minusInfinity = "-Infinity"
    private static let notANumber = "NaN"

    /// The encoder every model is written with: sorted keys, non-finite numbers as strings.
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: infinity, negativeInfinity: minusInfinity, nan: notANumber)
        return encoder
    }

    /// The decoder that reads what `encoder` writes.
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: infinity, negativeInfinity: minusInfinity, nan: notANumber)
        return decoder
    }

    static func encoded<Model: SavableModel>(_ model: Model) throws -> Data {
        try encoder.encode(Envelope(format: format, version: version, type: Model.modelType, model: model))
    }

    /// Writes `envelope` (a model's JSON) at `path` atomically, its arrays as tensors.
    private static func write(_ envelope: JSONTree, to path: String) throws {
        do {
            let (json, tensors) = try ModelArrays.split(envelope)
            try Safetensors.write(tensors, metadata: [metadataKey: json], to: path)
        } catch {
            throw MLError.invalidModelFile(path, "could not be written: \(error)")
        }
    }

    private static func read(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw MLError.invalidModelFile(path, "could not be read: \(error.localizedDescription)")
        }
    }
}

/// Fuzz entry point for the model-file decoder (`Fuzz/FlockFuzz`): any bytes give a model
/// or a clear `MLError`, never a crash.
package enum MLFuzzing {
    package static func modelFile(_ bytes: [UInt8]) {
        guard let json = try? ModelFile.envelope(Data(bytes), source: "fuzz") else { return }
        _ = try? ModelFile.decodePipeline(json, source: "fuzz")
        _ = try? ModelFile.decode(LogisticRegressionModel.self, from: json, source: "fuzz")
        _ = try? ModelFile.decode(GBTClassificationModel.self, from: json, source: "fuzz")
    }

    /// Valid files: a pipeline of a scaler and a regression, a logistic model, boosted trees,
    /// a pipeline of PCA and naive Bayes; and a logistic model in the first (JSON) format.
    package static var seeds: [String: [[UInt8]]] {
        let scaler = StandardScalerModel(
            inputColumns: ["x"], outputColumns: ["x_scaled"], means: [1], deviations: [2], withMean: true,
            withStd: true)
        let regression = LinearRegressionModel(
            featureColumns: ["x_scaled"], predictionColumn: "prediction", coefficients: [0.5], intercept: 1)
        let logistic = LogisticRegressionModel(
            featureColumns: ["x"], predictionColumn: "prediction", probabilityColumn: "probability",
            coefficientMatrix: [[0], [1.5]], interceptVector: [0, -1], iterations: 3, loss: 0.4)
        let tree = RegressionTree(
            features: [0], thresholds: [0.5], missingGoesLeft: [true], leftChildren: [~0], rightChildren: [~1],
            gains: [2], leafValues: [-0.1, 0.1])
        let boosted = GBTClassificationModel(
            featureColumns: ["x"], predictionColumn: "prediction", probabilityColumn: "probability",
            ensemble: BoostedTrees(initialScore: 0.2, trees: [tree]), validationLosses: [])
        let pca = PCAModel(
            inputColumns: ["x", "y"], outputColumn: "pca", mean: [1, 2], components: [[0.6, 0.8]],
            explainedVariance: [2], explainedVarianceRatio: [0.9])
        let bayes = NaiveBayesModel(
            featureColumns: ["pca_0"], predictionColumn: "prediction", probabilityColumn: "probability",
            modelType: .gaussian, logPriors: [-0.7, -0.7], conditionals: [[0], [1]], variances: [[1], [2]])
        let directory = FileManager.default.temporaryDirectory
        var files: [[UInt8]] = []
        for (name, save) in [
            ("pipeline", { try ModelFile.save(PipelineModel(stages: [scaler, regression]), to: $0) }),
            ("logistic", { try ModelFile.save(logistic, to: $0) }),
            ("boosted", { try ModelFile.save(boosted, to: $0) }),
            ("pca-bayes", { try ModelFile.save(PipelineModel(stages: [pca, bayes]), to: $0) }),
        ] as [(String, (String) throws -> Void)] {
            let path = directory.appendingPathComponent("flock-fuzz-seed-\(name).json").path
            if (try? save(path)) != nil, let data = FileManager.default.contents(atPath: path) {
                files.append(Array(data))
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        // A file of the first format: the model's JSON alone.
        if let json = try? ModelFile.encoded(logistic) { files.append(Array(json)) }
        return ["model-file": files, "ml-statistics": statisticsSeeds]
    }
}
