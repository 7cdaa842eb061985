#include "kernels/activation.h"

#include "core/check.h"

namespace attn {
namespace {
struct Named {
  const char* name;
  Activation value;
};
constexpr Named kActivations[] = {
    {"linear", Activation::Linear}, {"relu", Activation::Relu}, {"sigmoid", Activation::Sigmoid},
    {"tanh", Activation::Tanh},     {"softmax", Activation::Softmax}, {"elu", Activation::Elu},
    {"gelu", Activation::Gelu},     {"softplus", Activation::Softplus},
};
}  // namespace

Activation parseActivation(const std::string& name, const std::string& owner) {
  for (const auto& a : kActivations)
    if (name == a.name) return a.value;
  fail(owner, ": unknown activation '", name,
       "' (expected one of linear, relu, sigmoid, tanh, softmax, elu, gelu, softplus)");
}

const char* activationName(Activation a) {
  for (const auto& n : kActivations)
    if (n.value == a) return n.name;
  return "linear";
}

}  // namespace attn
