using System.Net.Http;
using System.Net.Sockets;

namespace Baton.Engine.SystemTasks;

/// <summary>
/// What went wrong below HTTP when an HTTP task's request failed, in words for its reason, and whether the request can
/// be sent again: a request that provably never reached the peer (no connection was made) always can; one whose
/// connection ended or was reset before any response may have reached it, so only an idempotent one can.
/// </summary>
public sealed record TransportFault(string Description, bool NeverReachedPeer, bool BeforeAnyResponse)
{
    public static TransportFault Of(HttpRequestException e)
    {
        var socket = Inner<SocketException>(e);
        return (e.HttpRequestError, socket?.SocketErrorCode) switch
        {
            (_, SocketError.ConnectionRefused) => new("the connection was refused (never reached the peer)", true, true),
            (_, SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData)
                when e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                => new($"the peer could not be reached ({socket!.SocketErrorCode}; never reached the peer)", true, true),
            (HttpRequestError.NameResolutionError, _) => new("the host name did not resolve (never reached the peer)", true, true),
            (HttpRequestError.ConnectionError, null) => new("no connection could be made in time (never reached the peer)", true, true),
            (HttpRequestError.ResponseEnded, _) => new("the peer closed the connection before a complete response (ResponseEnded)", false, true),
            (_, SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown) =>
                new($"the connection was reset before a response ({socket!.SocketErrorCode})", false, true),
            (var error, var code) => new($"{(code is { } c ? c.ToString() : error.ToString())}", false, false),
        };
    }

    private static T? Inner<T>(Exception e) where T : Exception
    {
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found) return found;
        }
        return null;
    }
}
