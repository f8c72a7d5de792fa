using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

/// <summary>
/// In-memory <see cref="IChatMemberSink"/>: records every accepted line as a string (without its <c>\n</c>),
/// takes a reference like a real transport and releases it at once or on <see cref="ReleaseAll"/>.
/// Refuses deliveries once closed or once <see cref="Capacity"/> lines were accepted (a "slow" member).
/// </summary>
internal sealed class RecordingSink : IChatMemberSink
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<byte[]> _raw = [];
    private readonly List<ChatMessage> _held = [];
    private readonly List<ChatMessage> _received = [];

    /// <summary>Keep the references until <see cref="ReleaseAll"/>, like a send queue.</summary>
    public bool HoldMessages { get; init; }

    /// <summary>Refuse every line once this many were accepted in total.</summary>
    public int Capacity { get; set; } = int.MaxValue;

    /// <summary>Lines accepted so far (not reset by <see cref="Take"/>).</summary>
    public int Accepted { get; private set; }

    public int CloseCount { get; private set; }

    public int Refused { get; private set; }

    public int Releases { get; private set; }

    public bool Closed => CloseCount > 0;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public IReadOnlyList<byte[]> Raw
    {
        get
        {
            lock (_lock)
            {
                return [.. _raw];
            }
        }
    }

    /// <summary>The message objects accepted, in order (only meaningful with <see cref="HoldMessages"/>).</summary>
    public IReadOnlyList<ChatMessage> Received
    {
        get
        {
            lock (_lock)
            {
                return [.. _received];
            }
        }
    }

    public string Last => Lines[^1];

    public bool TryDeliver(ChatMessage message)
    {
        lock (_lock)
        {
            if (CloseCount > 0 || Accepted >= Capacity)
            {
                Refused++;
                return false;
            }

            message.AddRef();
            Accepted++;
            byte[] bytes = message.Span.ToArray();
            if (bytes.Length == 0 || bytes[^1] != (byte)'\n' || Array.IndexOf(bytes, (byte)'\n') != bytes.Length - 1)
            {
                throw new InvalidOperationException("A message must be exactly one line ending in \\n.");
            }

            _raw.Add(bytes);
            _lines.Add(Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1));
            if (HoldMessages)
            {
                _held.Add(message);
                _received.Add(message);
            }
            else
            {
                message.Release();
                Releases++;
            }

            return true;
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            CloseCount++;
        }
    }

    public void ReleaseAll()
    {
        lock (_lock)
        {
            foreach (ChatMessage message in _held)
            {
                message.Release();
                Releases++;
            }

            _held.Clear();
        }
    }

    /// <summary>Returns the lines recorded so far and forgets them.</summary>
    public string[] Take()
    {
        lock (_lock)
        {
            string[] lines = [.. _lines];
            _lines.Clear();
            _raw.Clear();
            return lines;
        }
    }
}
