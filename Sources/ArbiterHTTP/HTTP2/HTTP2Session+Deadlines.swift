import CNGHTTP2

// MARK: - Timers
//
// libnghttp2 has no timers. The session keeps five, all computed from instants the connection
// passes in (``receive(_:now:)``, ``deadlineReached(now:)``), so tests drive them without sleeping:
//
// - idle: no open stream since `idleSince` → GOAWAY NO_ERROR;
// - write progress: a response is waiting and none of its DATA was taken since
//   `lastWriteProgress` (while one waits, HEADERS and PING/SETTINGS acknowledgements are not
//   progress), or other output waits and none was taken → GOAWAY (zero window, slow reader);
//   and a response not written whole within the same timeout of being answered → GOAWAY (a
//   window opened a byte at a time is progress, but not enough);
// - request receive: a stream still receiving its request after the timeout → RST_STREAM CANCEL;
// - drain: a graceful shutdown that outlives its timeout → end;
// - linger: finished, but output is not read → drop it so the connection can close.

extension HTTP2Session {
    /// True while a response waits to be written (or bytes we already took are not handed out).
    ///
    /// Frames libnghttp2 has queued count too: a peer that stops reading at the TCP level stops the
    /// connection from taking output at all, and that must also run into the write timeout.
    var awaitingWrite: Bool {
        unsentResponses > 0 || carryOffset < carry.count || hasPendingOutput
    }

    public var nextDeadline: ContinuousClock.Instant? {
        if outputAbandoned { return nil }
        if isFinished {
            guard hasPendingOutput else { return nil }
            return (finishedAt ?? lastNow) + configuration.lingerTimeout
        }
        var earliest: ContinuousClock.Instant?
        func consider(_ instant: ContinuousClock.Instant) {
            if earliest.map({ instant < $0 }) ?? true { earliest = instant }
        }
        if streams.isEmpty { consider(idleSince + configuration.idleTimeout) }
        if awaitingWrite { consider(lastWriteProgress + configuration.writeTimeout) }
        if let started = shutdownStartedAt { consider(started + configuration.gracefulShutdownTimeout) }
        // One pass, bounded by MAX_CONCURRENT_STREAMS: requests still arriving, answers still leaving.
        for stream in streams.values {
            if stream.isAwaitingRequest { consider(stream.openedAt + configuration.requestReceiveTimeout) }
            if stream.responseUnsent, let answered = stream.responseSubmittedAt {
                consider(answered + configuration.writeTimeout)
            }
        }
        return earliest
    }

    public func deadlineReached(now: ContinuousClock.Instant) {
        noteTime(now)
        if isFinished {
            if let finishedAt, now >= finishedAt + configuration.lingerTimeout, hasPendingOutput {
                outputAbandoned = true
                carry = []
                carryOffset = 0
                close()
            }
            return
        }
        if let started = shutdownStartedAt, now >= started + configuration.gracefulShutdownTimeout {
            terminate(reason: .drainTimeout, errorCode: NGHTTP2_NO_ERROR.rawValue)
        } else if awaitingWrite, now >= lastWriteProgress + configuration.writeTimeout {
            terminate(reason: .writeTimeout, errorCode: NGHTTP2_NO_ERROR.rawValue)
        } else if let oldest = oldestUnsentResponse, now >= oldest + configuration.writeTimeout {
            terminate(reason: .writeTimeout, errorCode: NGHTTP2_NO_ERROR.rawValue)
        } else if streams.isEmpty, now >= idleSince + configuration.idleTimeout {
            terminate(reason: .idleTimeout, errorCode: NGHTTP2_NO_ERROR.rawValue)
        } else {
            let expired = streams.filter {
                $0.value.isAwaitingRequest && now >= $0.value.openedAt + configuration.requestReceiveTimeout
            }
            for streamID in expired.keys {
                metrics.requestReceiveTimeout()
                resetStream(streamID, errorCode: NGHTTP2_CANCEL.rawValue)
            }
        }
        afterEvent()
    }

    /// When the oldest response still being written was answered (bounded by
    /// MAX_CONCURRENT_STREAMS; `nil` when none is).
    var oldestUnsentResponse: ContinuousClock.Instant? {
        guard unsentResponses > 0 else { return nil }
        var oldest: ContinuousClock.Instant?
        for stream in streams.values where stream.responseUnsent {
            if let at = stream.responseSubmittedAt, oldest.map({ at < $0 }) ?? true { oldest = at }
        }
        return oldest
    }

    /// Records the connection's clock at the start of an event and settles write progress.
    func noteTime(_ now: ContinuousClock.Instant) {
        if now > lastNow { lastNow = now }
        if writeProgressPending || !awaitingWrite {
            // Output taken since the last event counts as progress now; with nothing waiting,
            // the write timer does not run.
            lastWriteProgress = lastNow
            writeProgressPending = false
        }
        sendBlocked = false
    }
}
