import FlockComm
import Foundation
import NIOCore

/// The head's actor directory and call router: which worker hosts each actor, the names
/// actors are registered under, and the calls in flight. Calls from the driver (its
/// `FlockActorSystem`) or from a worker are renumbered and sent to the hosting worker; the
/// reply goes back the same way. When a worker dies, calls in flight to its actors fail,
/// and actors with restarts left are created again on another worker (state starts over);
/// calls made meanwhile wait and are delivered once the new instance exists. A call to an
/// actor this router does not know goes to the router `elsewhere` names (a detached actor
/// of another job on the same daemon), which replies to the caller directly.
final class ActorRouter: @unchecked Sendable {  // state guarded by `lock`
    private enum Origin {
        case driver(UInt64)
        case worker(Channel, UInt64)
    }

    private struct Entry {
        let type: String
        let maxRestarts: Int
        var restarts = 0
        var host: Channel?
        /// Calls waiting for the actor to exist (first spawn or a restart).
        var waiting: [(origin: Origin, target: String, generics: [String], arguments: [[UInt8]])] = []
        var started: [CheckedContinuation<Void, Error>] = []
        var failure: String?
    }

    private typealias Frames = [(Channel, Frame)]

    private let lock = NSLock()
    private let idSource: @Sendable () -> UInt64
    private let elsewhere: @Sendable (UInt64) -> ActorRouter?
    private var workers: [ObjectIdentifier: (channel: Channel, actors: Int)] = [:]
    private var actors: [UInt64: Entry] = [:]
    private var names: [String: UInt64] = [:]
    private var calls: [UInt64: (host: ObjectIdentifier, actor: UInt64, origin: Origin)] = [:]
    private var nextCall: UInt64 = 0
    private var homeless: [UInt64] = []
    /// The driver's actor system: its calls come here, and their replies go back to it.
    /// Set once, at the end of `init` (its outlet calls this router, which must exist first).
    private(set) var driver: FlockActorSystem!

    init(
        idSource: @escaping @Sendable () -> UInt64,
        elsewhere: @escaping @Sendable (UInt64) -> ActorRouter? = { _ in nil }
    ) {
        self.idSource = idSource
        self.elsewhere = elsewhere
        driver = FlockActorSystem { [weak self] message in self?.fromDriver(message) }
    }

    /// Creates an actor of registered type `type` on the least busy worker (registered
    /// under `name`, when given) and returns its id once it exists.
    /// - Throws: `RuntimeError.actorCallFailed` when the worker could not make it (an
    ///   unknown type), or when the name is taken.
    func spawn(type: String, name: String?, maxRestarts: Int, id given: UInt64? = nil) async throws -> FlockActorID {
        let id = given ?? idSource()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let outcome = lock.withLock { () -> Result<Frames, RuntimeError> in
                if let name {
                    guard names[name] == nil else { return .failure(.actorCallFailed("the name \"\(name)\" is taken")) }
                    names[name] = id
                }
                actors[id] = Entry(type: type, maxRestarts: maxRestarts, started: [continuation])
                return .success(place(id))
            }
            switch outcome {
            case .success(let frames): send(frames)
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
        return FlockActorID(value: id)
    }

    /// The id of the actor registered under `name`.
    func lookup(_ name: String) -> FlockActorID? { lock.withLock { names[name].map(FlockActorID.init) } }

    /// Ends actor `id` for good: its worker drops it, calls in flight and later ones fail
    /// ("killed"), it is not made again, and its name is free.
    /// - Throws: `RuntimeError.actorCallFailed` when there is no such actor here.
    func kill(_ id: UInt64) throws {
        let reason = "it was killed"
        let gone = Array("actor \(id) is gone: \(reason)".utf8)
        var driverCalls: [UInt64] = []
        let frames = try lock.withLock { () -> Frames in
            guard var entry = actors[id] else { throw RuntimeError.actorCallFailed("no actor \(id) in this cluster") }
            var frames: Frames = []
            if let host = entry.host {
                frames.append((host, ActorMessage.stop(actor: id).frame))
                let key = ObjectIdentifier(host)
                workers[key]?.actors -= 1
                for (call, target) in calls where target.actor == id {
                    calls[call] = nil
                    frames += self.reply(to: target.origin, false, gone, driver: &driverCalls)
                }
            }
            for waiting in entry.waiting {
                frames += self.reply(to: waiting.origin, false, gone, driver: &driverCalls)
            }
            (entry.host, entry.waiting, entry.failure) = (nil, [], reason)
            actors[id] = entry
            names = names.filter { $0.value != id }
            return frames
        }
        send(frames)
        for call in driverCalls { driver.received(reply: call, succeeded: false, bytes: gone) }
    }

    /// A worker connected.
    func workerJoined(_ channel: Channel) {
        let frames = lock.withLock { () -> Frames in
            workers[ObjectIdentifier(channel)] = (channel, 0)
            let waiting = homeless
            homeless.removeAll()
            return waiting.flatMap { place($0) }
        }
        send(frames)
    }

    /// A worker's connection closed: calls in flight to its actors fail; its actors are
    /// made again elsewhere while they have restarts left.
    func workerLost(_ channel: Channel) {
        let key = ObjectIdentifier(channel)
        var failedDriverCalls: [UInt64] = []
        let frames = lock.withLock { () -> Frames in
            workers[key] = nil
            var frames: Frames = []
            for (id, call) in calls where call.host == key {
                calls[id] = nil
                frames += reply(
                    to: call.origin, false, Array("the actor's worker died mid-call".utf8), driver: &failedDriverCalls)
            }
            for (id, entry) in actors where entry.host.map(ObjectIdentifier.init) == key {
                actors[id]!.host = nil  // Invariant: iterating its entries.
                if entry.restarts < entry.maxRestarts {
                    actors[id]!.restarts += 1
                    frames += place(id)
                } else {
                    actors[id]!.failure = "it died with its worker after \(entry.restarts) restarts"
                }
            }
            return frames
        }
        send(frames)
        for id in failedDriverCalls {
            driver.received(reply: id, succeeded: false, bytes: Array("the actor's worker died mid-call".utf8))
        }
    }

    /// An actor message from a worker.
    func received(_ message: ActorMessage, from channel: Channel, peer: String) throws {
        switch message {
        case .spawned(let actor, let error):
            spawned(actor, on: channel, error: error)
        case .call(let id, let actor, let target, let generics, let arguments):
            route(
                actor: actor, origin: .worker(channel, id), target: target, generics: generics, arguments: arguments)
        case .reply(let id, let succeeded, let bytes):
            guard let call = lock.withLock({ calls.removeValue(forKey: id) }) else { return }
            var driverCalls: [UInt64] = []
            send(reply(to: call.origin, succeeded, bytes, driver: &driverCalls))
            for id in driverCalls { driver.received(reply: id, succeeded: succeeded, bytes: bytes) }
        case .spawn, .stop:
            throw CommError.badFrame(peer: peer, reason: "a worker sent the head a head's actor message")
        }
    }

    private func fromDriver(_ message: ActorMessage) {
        guard case .call(let id, let actor, let target, let generics, let arguments) = message else { return }
        route(actor: actor, origin: .driver(id), target: target, generics: generics, arguments: arguments)
    }

    private func route(actor: UInt64, origin: Origin, target: String, generics: [String], arguments: [[UInt8]]) {
        var driverCalls: [UInt64] = []
        var failure: [UInt8] = []
        var handOver: ActorRouter?
        let frames = lock.withLock { () -> Frames in
            guard let entry = actors[actor] else {
                if case .worker = origin, let other = elsewhere(actor), other !== self {
                    handOver = other
                    return []
                }
                failure = Array("no actor \(actor) in this cluster".utf8)
                return reply(to: origin, false, failure, driver: &driverCalls)
            }
            if let reason = entry.failure {
                failure = Array("actor \(actor) is gone: \(reason)".utf8)
                return reply(to: origin, false, failure, driver: &driverCalls)
            }
            guard let host = entry.host else {
                actors[actor]!.waiting.append((origin, target, generics, arguments))  // Invariant: found above.
                return []
            }
            return [
                forward(
                    actor: actor, to: host, origin: origin, target: target, generics: generics, arguments: arguments)
            ]
        }
        if let handOver {
            return handOver.route(
                actor: actor, origin: origin, target: target, generics: generics, arguments: arguments)
        }
        send(frames)
        for id in driverCalls { driver.received(reply: id, succeeded: false, bytes: failure) }
    }

    private func spawned(_ actor: UInt64, on channel: Channel, error: String?) {
        let (frames, started) = lock.withLock { () -> (Frames, [CheckedContinuation<Void, Error>]) in
            guard var entry = actors[actor] else { return ([], []) }
            let started = entry.started
            entry.started = []
            if let error {
                entry.failure = error
                actors[actor] = entry
                return ([], started)
            }
            entry.host = channel
            let waiting = entry.waiting
            entry.waiting = []
            actors[actor] = entry
            return (
                waiting.map {
                    forward(
                        actor: actor, to: channel, origin: $0.origin, target: $0.target, generics: $0.generics,
                        arguments: $0.arguments)
                }, started
            )
        }
        send(frames)
        for continuation in started {
            if let error {
                continuation.resume(throwing: RuntimeError.actorCallFailed(error))
            } else {
                continuation.resume()
            }
        }
    }

    /// A spawn of actor `id` on the least busy worker, or none yet when no worker is
    /// connected (it is placed when one joins). Called under the lock.
    private func place(_ id: UInt64) -> Frames {
        guard let key = workers.keys.min(by: { workers[$0]!.actors < workers[$1]!.actors }), let type = actors[id]?.type
        else {
            homeless.append(id)
            return []
        }
        workers[key]!.actors += 1  // Invariant: chosen from the keys.
        return [(workers[key]!.channel, ActorMessage.spawn(actor: id, type: type).frame)]
    }

    /// Call `origin` renumbered for the hosting worker. Called under the lock.
    private func forward(
        actor: UInt64, to host: Channel, origin: Origin, target: String, generics: [String], arguments: [[UInt8]]
    ) -> (Channel, Frame) {
        nextCall += 1
        calls[nextCall] = (ObjectIdentifier(host), actor, origin)
        return (
            host,
            ActorMessage.call(id: nextCall, actor: actor, target: target, generics: generics, arguments: arguments)
                .frame
        )
    }

    /// A reply to `origin`: a frame for a worker, or the driver call's id in `driver`.
    private func reply(to origin: Origin, _ succeeded: Bool, _ bytes: [UInt8], driver: inout [UInt64]) -> Frames {
        switch origin {
        case .driver(let id):
            driver.append(id)
            return []
        case .worker(let channel, let id):
            return [(channel, ActorMessage.reply(id: id, succeeded: succeeded, bytes: bytes).frame)]
        }
    }

    private func send(_ frames: Frames) {
        for (channel, frame) in frames { channel.writeAndFlush(frame, promise: nil) }
    }
}
