// Seed 002's add_two_numbers.py: sequences of 20 values in [0, 1) hold two delimiters (0); the
// target is the mean of the two values right after them. LSTM(100) -> attention(bahdanau) ->
// Dense(1). As training goes on, the attention on test sequences with delimiters at steps 3 and 8
// converges to the steps that matter, 4 and 9 (the original plots this map per epoch).
//   build/native/example_add_two_numbers [epochs=20] [samples=20000]
#include <cstdio>
#include <cstdlib>

#include "seed_tasks.h"

using namespace attn;

namespace {

void printTestAttention(Model& model, const Tensor& testX, int epoch) {
  const std::vector<float> mean = seeds::meanOverSamples(model.getAttention({testX}, "attention_weight"));
  std::printf("  epoch %3d attention:", epoch);
  for (float w : mean) std::printf(" %.2f", static_cast<double>(w));
  std::printf("   [4]+[9] = %.3f\n", static_cast<double>(mean[4] + mean[9]));
}

}  // namespace

int main(int argc, char** argv) {
  // The original: 150 epochs on 20000 samples, 4000 for validation, batch_size=64, loss mae.
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 20;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 20000;
  Rng rng(7);
  seeds::Dataset train = seeds::addTwoNumbers(samples, rng);
  seeds::Dataset val = seeds::addTwoNumbers(4000, rng);
  seeds::Dataset test = seeds::addTwoNumbers(100, rng, seeds::kAddSteps, 3, 8);  // values at 4 and 9

  auto model = seeds::addTwoNumbersModel();
  std::printf("%s\n", model->summary().c_str());
  seeds::Stopwatch clock;
  std::string trainingTime;
  FitOptions options = seeds::fitOptions(epochs, 64, 1);
  options.validationXs = {val.x};
  options.validationYs = {val.y};
  auto session = model->beginFit({train.x}, {train.y}, options);
  while (!session->done()) {
    const FitProgress progress = session->step();
    if (!progress.epochEnded) continue;
    trainingTime = clock.str();
    std::printf("epoch %3d  loss %.4f  val_loss %.4f  (%s)\n", progress.epoch + 1, progress.epochLogs->at("loss"),
                progress.epochLogs->at("val_loss"), trainingTime.c_str());
    printTestAttention(*model, test.x, progress.epoch + 1);
  }
  const double valMae = seeds::meanAbsoluteError(model->predict({val.x})[0], val.y);
  const double baseline = seeds::meanPredictorMae(val.y);
  const std::vector<float> mean = seeds::meanOverSamples(model->getAttention({test.x}, "attention_weight"));
  std::printf("\nattention on test sequences (delimiters at 3 and 8), mean over %d samples:\n%s", test.x.dim(0),
              seeds::barChart(mean).c_str());
  std::printf("weights[4] + weights[9] = %.4f\n", static_cast<double>(mean[4] + mean[9]));
  std::printf("validation MAE %.4f vs %.4f for always predicting the mean (ratio %.3f)\n", valMae, baseline,
              valMae / baseline);
  std::printf("training time (with per-epoch validation and attention read-out): %s for %d epochs\n",
              trainingTime.c_str(), epochs);
  return mean[4] + mean[9] > 0.5f && valMae < 0.5 * baseline ? 0 : 1;
}
