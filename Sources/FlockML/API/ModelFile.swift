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

/// Fitted models as files: JSON holding a format name, a version, the model's type and its
/// fields (every coefficient as a JSON number, which round-trips a float64 exactly).
/// A file is written to a temporary name beside the target and renamed over it, so a
/// crash mid-save leaves the old file or none, never half of one. A `PipelineModel` of
/// savable stages saves as the list of its stages.
///
///     try ModelFile.save(model, to: "models/price.json")
///     let model = try ModelFile.load(LinearRegressionModel.self, from: "models/price.json")
///     let pipeline = try ModelFile.loadPipeline(from: "models/pipeline.json")
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
        OneVsRestModel<LinearSVCModel>.self,
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

    /// Saves `model` at `path` atomically.
    /// - Throws: file-system errors from writing.
    public static func save<Model: SavableModel>(_ model: Model, to path: String) throws {
        try write(Envelope(format: format, version: version, type: Model.modelType, model: model), to: path)
    }

    /// Saves a pipeline of savable stages at `path` atomically.
    /// - Throws: `MLError.invalidParameter` for a stage that cannot be saved, or file errors.
    public static func save(_ pipeline: PipelineModel, to path: String) throws {
        let stages = try pipeline.stages.map { stage -> String in
            guard let savable = stage as? any SavableModel else {
                throw MLError.invalidParameter(
                    name: "stages", value: "\(type(of: stage))", allowed: "fitted models that ModelFile can save")
            }
            return String(decoding: try encoded(savable), as: UTF8.self)
        }
        try write(Envelope(format: format, version: version, type: "PipelineModel", model: stages), to: path)
    }

    /// The model of type `Model` saved at `path`.
    /// - Throws: `MLError.invalidModelFile` naming the path and the problem.
    public static func load<Model: SavableModel>(_: Model.Type, from path: String) throws -> Model {
        try decode(Model.self, from: try read(path), source: path)
    }

    /// The pipeline saved at `path`.
    /// - Throws: `MLError.invalidModelFile` naming the path and the problem.
    public static func loadPipeline(from path: String) throws -> PipelineModel {
        try decodePipeline(try read(path), source: path)
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
        let stages: [String]
        do {
            stages = try decoder.decode(Envelope<[String]>.self, from: bytes).model
        } catch {
            throw MLError.invalidModelFile(source, "its stages do not read: \(error)")
        }
        return PipelineModel(
            stages: try stages.enumerated().map { index, text in
                let stageBytes = Data(text.utf8)
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

    /// The encoder every file is written with: sorted keys, non-finite numbers as strings.
    private static func encoder(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
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

    private static func encoded<Model: SavableModel>(_ model: Model) throws -> Data {
        let encoder = encoder([.sortedKeys])
        return try encoder.encode(Envelope(format: format, version: version, type: Model.modelType, model: model))
    }

    private static func write<Model: Codable>(_ envelope: Envelope<Model>, to path: String) throws {
        let encoder = encoder([.sortedKeys, .prettyPrinted])
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try encoder.encode(envelope).write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            let problem = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw MLError.invalidModelFile(path, "could not be written: \(problem)")
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
        _ = try? ModelFile.decodePipeline(Data(bytes), source: "fuzz")
        _ = try? ModelFile.decode(LogisticRegressionModel.self, from: Data(bytes), source: "fuzz")
        _ = try? ModelFile.decode(GBTClassificationModel.self, from: Data(bytes), source: "fuzz")
    }

    /// Valid files: a pipeline of a scaler and a regression, a logistic model, boosted trees,
    /// a pipeline of PCA and naive Bayes.
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
        return ["model-file": files, "ml-statistics": statisticsSeeds]
    }
}
