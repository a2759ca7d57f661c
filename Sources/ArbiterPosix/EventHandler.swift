/// Something registered with an ``EventLoop`` for readiness events on one descriptor.
///
/// Handlers are confined to the loop they are registered with; the loop calls them only on its
/// thread.
public protocol EventHandler: AnyObject {
    /// Called with the `EPOLL*` bits that are ready (see ``EventLoop/Interest``).
    func handleEvents(_ events: UInt32)
}
