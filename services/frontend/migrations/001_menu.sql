-- The menu the shop sells from, and the prices the order service charges: the frontend owns it.
CREATE TABLE menu (
  id           text    PRIMARY KEY CHECK (id ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
  name         text    NOT NULL,
  description  text    NOT NULL,
  price_cents  integer NOT NULL CHECK (price_cents > 0),
  vegetarian   boolean NOT NULL DEFAULT false,
  spicy        boolean NOT NULL DEFAULT false,
  -- Where it appears on the menu.
  position     integer NOT NULL
);

-- The ids are part of the lab's vocabulary (CLI examples, scenarios, tests): keep them stable.
INSERT INTO menu (id, name, description, price_cents, vegetarian, spicy, position) VALUES
  ('margherita',       'Margherita',       'San Marzano tomato, fior di latte, basil, olive oil',          850, true,  false, 1),
  ('marinara',         'Marinara',         'Tomato, garlic, oregano, olive oil; no cheese',                 750, true,  false, 2),
  ('funghi',           'Funghi',           'Tomato, mozzarella, roasted mushrooms, garlic, parsley',        950, true,  false, 3),
  ('quattro-formaggi', 'Quattro Formaggi', 'Mozzarella, gorgonzola, fontina, parmigiano',                  1150, true,  false, 4),
  ('pepperoni',        'Pepperoni',        'Tomato, mozzarella, pepperoni',                                1050, false, false, 5),
  ('diavola',          'Diavola',          'Tomato, mozzarella, spicy salami, chilli oil',                 1100, false, true,  6),
  ('hawaii',           'Hawaii',           'Tomato, mozzarella, ham, pineapple',                           1000, false, false, 7),
  ('verdure',          'Verdure',          'Tomato, mozzarella, grilled courgette, peppers, aubergine',    1050, true,  false, 8);
