using PipeChat.LoadTests.Harness;

namespace PipeChat.Tests.LoadTests;

public class ThresholdTests
{
    [Theory]
    [InlineData("p99 < 20ms", "p99", ThresholdOperator.Less, 20_000)]
    [InlineData("fail rate = 0", "fail_rate", ThresholdOperator.Equal, 0)]
    [InlineData("rps > 1000", "rps", ThresholdOperator.Greater, 1000)]
    [InlineData("rps >= 1.5k", "rps", ThresholdOperator.GreaterOrEqual, 1500)]
    [InlineData("p99.9 <= 500us", "p99.9", ThresholdOperator.LessOrEqual, 500)]
    [InlineData("p999 < 2s", "p99.9", ThresholdOperator.Less, 2_000_000)]
    [InlineData("mean < 3", "mean", ThresholdOperator.Less, 3000)]
    [InlineData("  MAX   <   1.5 ms ", "max", ThresholdOperator.Less, 1500)]
    [InlineData("fail rate < 1%", "fail_rate", ThresholdOperator.Less, 0.01)]
    [InlineData("failed == 0", "failed", ThresholdOperator.Equal, 0)]
    [InlineData("lost != 3", "lost", ThresholdOperator.NotEqual, 3)]
    [InlineData("cpu < 150%", "cpu", ThresholdOperator.Less, 150)]
    public void Parses_metric_operator_and_value_in_base_units(string text, string metric, ThresholdOperator op, double value)
    {
        var t = Threshold.Parse(text);
        Assert.Equal(metric, t.Metric);
        Assert.Equal(op, t.Operator);
        Assert.Equal(value, t.Value, 9);
    }

    [Theory]
    [InlineData("")]
    [InlineData("p99")]
    [InlineData("p99 <")]
    [InlineData("p99 < fast")]
    [InlineData("p99 < 20 parsecs")]
    [InlineData("fail rate < 5ms")]
    [InlineData("p99 ~ 3ms")]
    [InlineData("< 3")]
    [InlineData("p99 < -3ms")]
    public void Rejects_malformed_thresholds_with_a_message(string text)
    {
        Assert.False(Threshold.TryParse(text, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.Throws<FormatException>(() => Threshold.Parse(text));
    }

    [Fact]
    public void Evaluates_against_stats()
    {
        var stats = TestData.Stats(ok: 9900, failed: 100, seconds: 10, p99Us: 10_000, metrics: new() { ["lost"] = 0 });
        Assert.True(Threshold.Parse("p99 < 20ms").Evaluate(stats).Passed);
        Assert.False(Threshold.Parse("p99 < 5ms").Evaluate(stats).Passed);
        Assert.True(Threshold.Parse("rps > 900").Evaluate(stats).Passed);
        Assert.False(Threshold.Parse("rps > 1000").Evaluate(stats).Passed);
        Assert.False(Threshold.Parse("fail rate = 0").Evaluate(stats).Passed);
        Assert.True(Threshold.Parse("fail rate <= 1%").Evaluate(stats).Passed);
        Assert.True(Threshold.Parse("lost = 0").Evaluate(stats).Passed);

        var broken = Threshold.Parse("p99 < 5ms").Evaluate(stats);
        Assert.Equal(10_000, broken.Actual);
        Assert.Contains("BROKEN", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_metric_the_scenario_did_not_report_breaks_the_threshold()
    {
        var result = Threshold.Parse("established >= 10").Evaluate(TestData.Stats());
        Assert.False(result.Passed);
        Assert.Null(result.Actual);
        Assert.Contains("no metric", result.Message, StringComparison.Ordinal);
    }
}
