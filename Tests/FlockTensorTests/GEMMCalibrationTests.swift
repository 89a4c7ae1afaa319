import Foundation
import Testing

@testable import FlockTensor

@Suite("GEMM calibration")
struct GEMMCalibrationTests {
    /// A fresh cache directory under the temporary folder.
    private func temporaryCache() -> GEMMCalibrationCache {
        GEMMCalibrationCache(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("flock-gemm-\(UUID())"))
    }

    @Test("the size classes split at largeDimension")
    func sizeClasses() {
        let calibration = GEMMCalibration(blasForSmall: true, blasForLarge: false)
        #expect(calibration.prefersBLAS(m: 256, n: 256, k: 256))
        #expect(calibration.prefersBLAS(m: 511, n: 3, k: 80))
        #expect(!calibration.prefersBLAS(m: 64, n: 512, k: 64))
        #expect(!calibration.prefersBLAS(m: 2048, n: 2048, k: 2048))
    }

    @Test("a measured calibration is stored 0600 and read back without measuring again")
    func storedOnce() throws {
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache.directory) }
        var measured = 0
        let first = cache.calibration(for: "cpu | 2 threads") {
            measured += 1
            return GEMMCalibration(blasForSmall: false, blasForLarge: true)
        }
        let again = cache.calibration(for: "cpu | 2 threads") {
            measured += 1
            return GEMMCalibration(blasForSmall: true, blasForLarge: true)
        }
        #expect(first == GEMMCalibration(blasForSmall: false, blasForLarge: true))
        #expect(again == first)
        #expect(measured == 1)
        let other = cache.calibration(for: "cpu | 1 threads") {
            GEMMCalibration(blasForSmall: true, blasForLarge: false)
        }
        #expect(other == GEMMCalibration(blasForSmall: true, blasForLarge: false))
        #expect(cache.read().count == 2)
        let path = cache.directory.appendingPathComponent("gemm-calibration.json").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a cache file that is malformed or open to others is ignored and measured again")
    func untrustedFiles() throws {
        let cache = temporaryCache()
        defer { try? FileManager.default.removeItem(at: cache.directory) }
        _ = cache.calibration(for: "key") { GEMMCalibration(blasForSmall: true, blasForLarge: true) }
        let path = cache.directory.appendingPathComponent("gemm-calibration.json").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(cache.read().isEmpty)
        var measured = 0
        let replaced = cache.calibration(for: "key") {
            measured += 1
            return GEMMCalibration(blasForSmall: false, blasForLarge: false)
        }
        #expect(measured == 1 && replaced == GEMMCalibration(blasForSmall: false, blasForLarge: false))
        #expect(cache.read()["key"] == replaced)
        for garbage in ["", "{", "[1, 2]", "{\"key\": {\"blasForSmall\": 3}}", String(repeating: "x", count: 5000)] {
            try Data(garbage.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            #expect(cache.read().isEmpty, "\(garbage.prefix(20))")
        }
    }

    @Test("a cache that cannot be written still yields a measured calibration")
    func unwritableCache() {
        let cache = GEMMCalibrationCache(directory: URL(fileURLWithPath: "/proc/flock-not-writable"))
        #expect(cache.calibration(for: "key") { GEMMCalibration(blasForSmall: true, blasForLarge: true) } == nil)
    }

    @Test("measuring with the loaded BLAS gives a choice per size class")
    func measuresBothBackends() throws {
        guard let blas = BLAS.shared else { return }  // No BLAS: `.fastest` is native; nothing to measure.
        let calibration = GEMMCalibration.measure(blas: blas)
        #expect(calibration.description.contains("small: ") && calibration.description.contains("large: "))
    }
}
