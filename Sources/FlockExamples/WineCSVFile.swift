import Foundation

extension EmbeddedData {
    /// Writes the wine table as `wine.csv` into `folder` (a fresh temporary folder named
    /// from `prefix` when nil), creating it; returns the folder and the file's path.
    static func writeWineCSV(into folder: String?, prefix: String) throws -> (folder: String, csv: String) {
        let folder = folder ?? NSTemporaryDirectory() + "\(prefix)-\(UUID())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let csv = folder + "/wine.csv"
        try wineCSV.write(toFile: csv, atomically: true, encoding: .utf8)
        return (folder, csv)
    }
}
