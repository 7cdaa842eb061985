// Activation functions by name. The enum is chosen once per layer, outside every loop.
#pragma once
#include <string>

namespace attn {

enum class Activation { Linear, Relu, Sigmoid, Tanh, Softmax, Elu, Gelu, Softplus };

// "relu" -> Activation::Relu; throws attn::Error naming `owner` for an unknown name.
Activation parseActivation(const std::string& name, const std::string& owner);
const char* activationName(Activation a);

}  // namespace attn
