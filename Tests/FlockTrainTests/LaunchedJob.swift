import FlockTestSupport
import Foundation

/// Starts `flock launch LAUNCH-ARGUMENTS -- PROGRAM...` with `environment` added, in
/// `folder` (default: the test's own working folder), as a test process.
func launchJob(
    _ launchArguments: [String], program: [String], environment: [String: String] = [:], in folder: URL? = nil
) throws -> TestProcess {
    try TestProcess(
        TestBinary.path("flock"), ["launch"] + launchArguments + ["--"] + program, environment: environment, in: folder)
}

/// The process ids of the running workers (not launchers) whose command line contains `text`.
func workerIDs(matching text: String) -> [Int32] { ProcessTable.ids(matching: text, excluding: [" launch "]) }
