// Seed 001's recurrent hello world (attention_lstm.py): 20 steps of 2 random features, step 10
// holds the label. timeAttention is applied before the LSTM (on the inputs) and after it (on
// its returned sequence), with one attention vector per feature and with a single shared one.
// Before the LSTM the mean attention should peak at step 10. After it, the LSTM has carried
// step 10's value forward, so the mass lies on steps >= 10 (the peak need not be 10 itself).
//   build/native/example_recurrent_hello_world [samples=100000] [epochs=1]
#include <cstdio>
#include <cstdlib>

#include "seed_tasks.h"

using namespace attn;

int main(int argc, char** argv) {
  // The original trains 1 epoch on 300000 samples; 100000 already show the same picture.
  const int samples = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 1;
  Rng rng(7);
  seeds::Dataset train = seeds::recurrentHelloWorld(samples, rng);
  seeds::Dataset test = seeds::recurrentHelloWorld(1000, rng);

  int failures = 0;
  for (bool before : {true, false}) {
    for (bool single : {false, true}) {
      const seeds::RecurrentVariant variant{before, single};
      auto model = seeds::recurrentHelloWorldModel(variant);
      std::printf("==== attention %s\n", variant.label().c_str());
      seeds::Stopwatch clock;
      // The original: batch_size=64, validation_split=0.1.
      History history = model->fit({train.x}, {train.y}, seeds::fitOptions(epochs, 64, 1, 0.1));
      const std::string trainingTime = clock.str();
      const int last = history.epochs() - 1;
      std::printf("trained %d epoch(s) on %d samples in %s: val_loss %.4f, val_accuracy %.4f\n", epochs, samples,
                  trainingTime.c_str(), history.at("val_loss")[last], history.at("val_accuracy")[last]);
      const Tensor weights = model->getAttention({test.x}, "attention_vec");
      const std::vector<float> perStep = seeds::meanPerStep(weights);
      float fromTarget = 0.f;
      for (int t = seeds::kRecurrentTargetStep; t < seeds::kRecurrentSteps; ++t) fromTarget += perStep[t];
      std::printf("attention per step (weights %s, mean over samples%s):\n%s", weights.shape().str().c_str(),
                  single ? "" : " and features", seeds::barChart(perStep).c_str());
      const int peak = seeds::argmax(perStep);
      std::printf("peak at step %d (weight %.4f); mass on steps >= %d: %.4f\n\n", peak, perStep[peak],
                  seeds::kRecurrentTargetStep, fromTarget);
      if (before ? peak != seeds::kRecurrentTargetStep : fromTarget <= 0.5f) ++failures;
    }
  }
  return failures == 0 ? 0 : 1;
}
