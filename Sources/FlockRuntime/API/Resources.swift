/// What a task needs (or a worker offers): CPUs, memory and custom amounts such as
/// `["gpu": 1]`. A task with a demand runs only on a worker whose free resources cover it,
/// and holds them while it runs; a task with no demand (the default: tasks are async work
/// multiplexed on a worker's threads) goes to the least busy worker.
public struct Resources: Codable, Sendable, Equatable, CustomStringConvertible {
    /// CPUs (fractions allowed).
    public var cpus: Double
    /// Bytes of memory.
    public var memoryBytes: Int
    /// Named amounts, e.g. "gpu" or a machine label.
    public var custom: [String: Double]

    /// A demand or offer of these amounts (all zero by default).
    public init(cpus: Double = 0, memoryBytes: Int = 0, custom: [String: Double] = [:]) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.custom = custom
    }

    /// No demand at all.
    public static let none = Resources()

    /// Whether this demand is zero.
    public var isNone: Bool { cpus <= 0 && memoryBytes <= 0 && custom.values.allSatisfy { $0 <= 0 } }

    /// Whether a worker with `free` resources can take this demand.
    public func fits(in free: Resources) -> Bool {
        cpus <= free.cpus + 1e-9 && memoryBytes <= free.memoryBytes
            && custom.allSatisfy { name, amount in amount <= (free.custom[name] ?? 0) + 1e-9 }
    }

    /// These amounts with `other`'s added (`sign` 1) or taken away (`sign` -1).
    func adding(_ other: Resources, sign: Double = 1) -> Resources {
        var sum = self
        sum.cpus += sign * other.cpus
        sum.memoryBytes += Int(sign) * other.memoryBytes
        for (name, amount) in other.custom { sum.custom[name, default: 0] += sign * amount }
        return sum
    }

    public var description: String {
        var parts: [String] = []
        if cpus > 0 { parts.append("\(cpus) CPU") }
        if memoryBytes > 0 { parts.append("\(memoryBytes >> 20) MiB") }
        for (name, amount) in custom.sorted(by: { $0.key < $1.key }) where amount > 0 {
            parts.append("\(amount) \(name)")
        }
        return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
    }
}
