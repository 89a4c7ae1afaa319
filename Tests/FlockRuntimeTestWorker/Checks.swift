// How a scenario (main.swift) fails: a message and exit status 1.
import Foundation

/// Fails the scenario with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("check failed: \(message)")
        exit(1)
    }
}

/// Fails the scenario unless `error` says `text`.
func expectError(_ error: Error, _ text: String) {
    check("\(error)".contains(text), "expected an error saying \"\(text)\", got: \(error)")
}
