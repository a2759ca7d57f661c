/// A non-`Sendable` value that may be passed between threads but only used on its loop's thread.
///
/// This is how loop-confined objects (a server's per-loop state, a connection) travel inside a
/// closure given to ``EventLoop/execute(_:)``: the box is `Sendable`, and every access checks that
/// it happens on the owning loop. `@unchecked Sendable` is sound because ``value`` is only reachable
/// through that check.
public struct LoopBound<Value>: @unchecked Sendable {
    private let storage: Value
    /// The loop whose thread may use the value.
    public let loop: EventLoop

    /// Wraps `value`; must be called on `loop`'s thread (or before the loop starts).
    public init(_ value: Value, loop: EventLoop) {
        self.storage = value
        self.loop = loop
    }

    /// The value; traps off the loop thread.
    public var value: Value {
        precondition(self.loop.inEventLoop, "LoopBound value used off its loop thread")
        return self.storage
    }
}
