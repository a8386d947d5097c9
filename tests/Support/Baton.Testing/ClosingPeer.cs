using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Baton.Testing;

/// <summary>
/// A raw HTTP/1.0 peer on loopback for transport faults: it reads each request (head and Content-Length body) and
/// answers close-delimited (<c>HTTP/1.0 200</c>, no Content-Length, then it closes the connection), except that the
/// first <see cref="ResetFirst"/> connections are reset (RST) after the request was read, with no answer. With an
/// answer delay it holds each request that long before answering, so requests are in flight when something happens.
/// </summary>
public sealed class ClosingPeer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _answerDelayMs;
    private int _connections;
    private int _answered;
    private int _inFlight;
    private int _open;
    private int _maxOpen;

    private ClosingPeer(int resetFirst, int backlog, int answerDelayMs)
    {
        ResetFirst = resetFirst;
        _answerDelayMs = answerDelayMs;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start(backlog);
        BaseUrl = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _loop = AcceptAsync();
    }

    public string BaseUrl { get; }

    public int ResetFirst { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Requests answered so far.</summary>
    public int Answered => Volatile.Read(ref _answered);

    /// <summary>The most connections it had accepted and not yet closed at one time.</summary>
    public int MaxOpen => Volatile.Read(ref _maxOpen);

    /// <summary>Requests read and not answered yet (held by the answer delay).</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public static ClosingPeer Start(int resetFirst = 0, int backlog = 512, int answerDelayMs = 0) => new(resetFirst, backlog, answerDelayMs);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            var number = Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(socket, reset: number <= ResetFirst));
        }
    }

    private async Task ServeAsync(Socket socket, bool reset)
    {
        var open = Interlocked.Increment(ref _open);
        for (var max = Volatile.Read(ref _maxOpen); open > max; max = Volatile.Read(ref _maxOpen))
        {
            if (Interlocked.CompareExchange(ref _maxOpen, open, max) == max) break;
        }
        try
        {
            using var stream = new NetworkStream(socket, ownsSocket: false);
            await ReadRequestAsync(stream);
            if (reset)
            {
                socket.LingerState = new LingerOption(true, 0); // close with RST
                return;
            }
            if (_answerDelayMs > 0)
            {
                Interlocked.Increment(ref _inFlight);
                try
                {
                    await Task.Delay(_answerDelayMs, _stop.Token);
                }
                finally
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
            await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ok\":true}"));
            socket.Shutdown(SocketShutdown.Send);
            Interlocked.Increment(ref _answered);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The client went away: nothing to answer.
        }
        finally
        {
            socket.Dispose();
            Interlocked.Decrement(ref _open);
        }
    }

    private static async Task ReadRequestAsync(NetworkStream stream)
    {
        var buffer = new byte[64 * 1024];
        var received = 0;
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(buffer, received)) < 0)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(received));
            if (n == 0) return;
            received += n;
        }
        var head = Encoding.ASCII.GetString(buffer, 0, headEnd);
        var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
        while (received < headEnd + 4 + length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(received));
            if (n == 0) return;
            received += n;
        }
    }

    private static int IndexOfHeadEnd(byte[] buffer, int count) => buffer.AsSpan(0, count).IndexOf("\r\n\r\n"u8);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
