using Microsoft.Extensions.Time.Testing;
using PipeChat.Protocols;

namespace PipeChat.Tests.Protocols;

/// <summary>The line budget of --max-line-rate, on a fake clock.</summary>
public class TokenBucketTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_full_bucket_lets_a_burst_through_then_says_how_long_until_the_next()
    {
        var bucket = new TokenBucket(rate: 10, burst: 10, _time);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(TimeSpan.Zero, bucket.Take());
        }

        Assert.Equal(TimeSpan.FromMilliseconds(100), bucket.Take());
    }

    [Fact]
    public void Tokens_refill_at_the_rate()
    {
        var bucket = new TokenBucket(rate: 100, burst: 100, _time);
        Drain(bucket);

        _time.Advance(TimeSpan.FromMilliseconds(5));
        var wait = bucket.Take();
        Assert.Equal(TimeSpan.FromMilliseconds(5), wait);

        _time.Advance(TimeSpan.FromMilliseconds(5));
        Assert.Equal(TimeSpan.Zero, bucket.Take());
        Assert.True(bucket.Take() > TimeSpan.Zero);

        // One second refills a hundred, no more.
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(100, Drain(bucket));
    }

    [Fact]
    public void A_long_silence_does_not_fill_the_bucket_beyond_one_burst()
    {
        var bucket = new TokenBucket(rate: 5, burst: 5, _time);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, Drain(bucket));
    }

    [Fact]
    public void A_rate_of_zero_is_no_limit_at_all()
    {
        Assert.Null(TokenBucket.PerSecond(0, _time));
        Assert.NotNull(TokenBucket.PerSecond(100, _time));
    }

    [Fact]
    public void A_wait_is_never_zero_while_a_token_is_missing()
    {
        var bucket = new TokenBucket(rate: 3, burst: 1, _time);
        Assert.Equal(TimeSpan.Zero, bucket.Take());
        _time.Advance(TimeSpan.FromTicks(3_333_333));
        Assert.True(bucket.Take() > TimeSpan.Zero);
    }

    private static int Drain(TokenBucket bucket)
    {
        var taken = 0;
        while (bucket.Take() == TimeSpan.Zero)
        {
            taken++;
            Assert.True(taken < 1_000_000);
        }

        return taken;
    }
}
