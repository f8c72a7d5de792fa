using System.Text;

namespace PipeChat.LoadTests.Sockets;

/// <summary>Reads text lines from a <see cref="TcpConnection"/> (short-lived clients; allocates a string per line).</summary>
public sealed class LineReader
{
    private readonly TcpConnection _connection;
    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    /// <summary>Initializes a new instance of the <see cref="LineReader"/> class.</summary>
    public LineReader(TcpConnection connection, int maxLine = 8192)
    {
        _connection = connection;
        _buffer = new byte[maxLine];
    }

    /// <summary>Gets the bytes received so far.</summary>
    public long BytesIn { get; private set; }

    /// <summary>Reads the next line without its newline; null when the peer closed.</summary>
    /// <exception cref="InvalidDataException">A line is longer than the buffer.</exception>
    public async ValueTask<string?> ReadLineAsync()
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer.AsSpan(_start, newline).TrimEnd((byte)'\r'));
                _start += newline + 1;
                return line;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new InvalidDataException("line too long");
            }

            int n = await _connection.ReceiveAsync(_buffer.AsMemory(_end)).ConfigureAwait(false);
            if (n == 0)
            {
                return null;
            }

            _end += n;
            BytesIn += n;
        }
    }
}
