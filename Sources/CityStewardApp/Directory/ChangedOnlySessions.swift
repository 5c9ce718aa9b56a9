import Vapor

/// Vapor's sessions middleware writes a request's session back after every response, whether or not it changed: a
/// database write per console page. On SQLite that write waits for the write lock behind any background burst (the
/// overdue sweep escalating 500 cases, the outbox relay) and sleeps in the busy handler's growing steps — a console
/// page took 0.7 s then while the API answered in milliseconds. This driver writes a session only when its data
/// differs from what was read (the sliding expiry changes it at most every five minutes).
struct ChangedOnlySessions: SessionDriver {
    let base: any SessionDriver

    private struct AsRead: StorageKey { typealias Value = [String: String] }

    func createSession(_ data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        base.createSession(data, for: request)
    }

    func readSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<SessionData?> {
        base.readSession(sessionID, for: request).map { data in
            if let data { request.storage[AsRead.self] = data.snapshot }
            return data
        }
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) -> EventLoopFuture<SessionID> {
        if let read = request.storage[AsRead.self], read == data.snapshot { return request.eventLoop.makeSucceededFuture(sessionID) }
        return base.updateSession(sessionID, to: data, for: request)
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) -> EventLoopFuture<Void> {
        base.deleteSession(sessionID, for: request)
    }
}
