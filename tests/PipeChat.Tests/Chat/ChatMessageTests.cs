using System.Text;
using PipeChat.Protocols.Chat;

namespace PipeChat.Tests.Chat;

public class ChatMessageTests
{
    private readonly ChatMessagePool _pool = new();

    private static string Text(ChatMessage message) => Encoding.UTF8.GetString(message.Span);

    [Fact]
    public void Factories_encode_whole_lines()
    {
        ChatMessage notice = ChatMessage.Notice(_pool, "welcome user1");
        ChatMessage error = ChatMessage.Error(_pool, "invalid name");
        ChatMessage relay = ChatMessage.FromMember(_pool, "bob"u8, "héllo"u8);

        Assert.Equal("* welcome user1\n", Text(notice));
        Assert.Equal("! invalid name\n", Text(error));
        Assert.Equal("<bob> héllo\n", Text(relay));
        Assert.Equal(Encoding.UTF8.GetByteCount("<bob> héllo\n"), relay.Length);

        notice.Release();
        error.Release();
        relay.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void Member_text_is_sanitized_into_the_message_at_its_exact_length()
    {
        ChatMessage message = ChatMessage.FromMember(_pool, "x"u8, [(byte)'o', (byte)'k', 0xFF, 0x00, (byte)'\t', 0xC3]);

        Assert.Equal("<x> ok\uFFFD\uFFFD\t\uFFFD\n", Text(message));
        Assert.Equal(Encoding.UTF8.GetByteCount("<x> ok\uFFFD\uFFFD\t\uFFFD\n"), message.Length);
        message.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void Compose_text_sanitizes_only_the_text()
    {
        ChatMessage message = ChatMessage.ComposeText(_pool, "! "u8, "a"u8, "b: "u8, "\r"u8);

        Assert.Equal("! ab: \uFFFD\n", Text(message));
        message.Release();
    }

    [Fact]
    public void Compose_concatenates_parts_and_a_newline()
    {
        ChatMessage message = ChatMessage.Compose(_pool, "* "u8, "a"u8, " is now "u8, "b"u8);

        Assert.Equal("* a is now b\n", Text(message));
        Assert.Equal("* a is now b\n", message.ToString());
        message.Release();
    }

    [Fact]
    public void Rent_gives_a_writable_message_of_the_exact_length()
    {
        ChatMessage message = _pool.Rent(3);
        "ok\n"u8.CopyTo(message.GetWritableSpan());

        Assert.Equal(3, message.Memory.Length);
        Assert.Equal("ok\n", Text(message));
        message.Release();
    }

    [Fact]
    public void Buffer_returns_only_when_the_last_reference_is_released()
    {
        ChatMessage message = ChatMessage.Notice(_pool, "hi");
        message.AddRef(2);
        Assert.Equal(3, message.RefCount);

        message.Release();
        message.Release();
        Assert.Equal(1, _pool.Outstanding);
        Assert.Equal("* hi\n", Text(message));

        message.Release();
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(0, message.RefCount);
    }

    [Fact]
    public void Double_release_throws()
    {
        ChatMessage message = ChatMessage.Notice(_pool, "hi");
        message.Release();

        Assert.Throws<InvalidOperationException>(message.Release);
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void Use_after_release_throws()
    {
        ChatMessage message = ChatMessage.Notice(_pool, "hi");
        message.Release();

        Assert.Throws<InvalidOperationException>(() => message.AddRef());
        Assert.Throws<InvalidOperationException>(() => message.Memory);
        Assert.Equal("(released)", message.ToString());
    }

    [Fact]
    public void Add_ref_rejects_non_positive_counts()
    {
        ChatMessage message = ChatMessage.Notice(_pool, "hi");

        Assert.Throws<ArgumentOutOfRangeException>(() => message.AddRef(0));
        message.Release();
    }

    [Fact]
    public void Message_objects_are_reused()
    {
        ChatMessage first = ChatMessage.Notice(_pool, "one");
        first.Release();

        ChatMessage second = ChatMessage.Notice(_pool, "two");

        Assert.Same(first, second);
        Assert.Equal("* two\n", Text(second));
        Assert.Equal(1, second.RefCount);
        second.Release();
    }

    [Fact]
    public void Concurrent_add_ref_and_release_balance_out()
    {
        ChatMessage message = ChatMessage.Notice(_pool, "shared");
        const int Threads = 4;
        const int Rounds = 10_000;
        var threads = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            threads[t] = new Thread(() =>
            {
                for (int i = 0; i < Rounds; i++)
                {
                    message.AddRef();
                    message.Release();
                }
            });
            threads[t].Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        Assert.Equal(1, message.RefCount);
        message.Release();
        Assert.Equal(0, _pool.Outstanding);
    }

    [Fact]
    public void Shared_pool_helpers_work()
    {
        ChatMessage message = ChatMessage.Notice("shared");
        Assert.Equal("* shared\n", Text(message));
        message.Release();

        ChatMessage error = ChatMessage.Error("oops");
        Assert.Equal("! oops\n", Text(error));
        error.Release();

        ChatMessage relay = ChatMessage.FromMember("a"u8, "b"u8);
        Assert.Equal("<a> b\n", Text(relay));
        relay.Release();
    }
}
